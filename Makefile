# Lectern: `make run` starts a demo site on the embedded default;
# `make test` runs the whole suite (SQLite and PostgreSQL, local disk and S3,
# a real SMTP server, and headless Chromium).
GO        ?= go
BIN       := bin/lectern
CACHE     := $(CURDIR)/.cache
VERSITYGW := $(CACHE)/bin/versitygw
BROWSER   := e2e/browser/node_modules/playwright-core
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/lectern-edu/lectern.Version=$(VERSION)

.PHONY: run build test test-deps bench bench-pipeline bench-delivery bench-storage fmt vet clean assets

run: build
	@scripts/deps.sh run
	./$(BIN) serve --demo

build:
	@scripts/deps.sh build
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/lectern

test: test-deps
	$(GO) vet ./...
	LECTERN_VERSITYGW=$(VERSITYGW) $(GO) test -count=1 -timeout 25m ./...

# Heavy test tools are built once into the git-ignored .cache folder.
test-deps: $(VERSITYGW) $(BROWSER)
	@scripts/deps.sh test

$(VERSITYGW):
	@echo "building the S3 test server (versitygw) once into .cache ..."
	GOBIN=$(CACHE)/bin $(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

$(BROWSER): e2e/browser/package.json e2e/browser/package-lock.json
	@scripts/deps.sh test
	cd e2e/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $(BROWSER)

# Browser libraries (pinned in assets/package.json) are copied into the
# embedded static files; the copies are committed so a plain `go build` works.
assets:
	cd assets && npm ci --no-audit --no-fund --loglevel=error
	cp assets/node_modules/hls.js/dist/hls.min.js internal/web/static/hls.min.js
	cp assets/node_modules/tus-js-client/dist/tus.min.js internal/web/static/tus.min.js

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Upload-to-ready against the bare ffmpeg ladder (a few minutes).
bench-pipeline:
	@scripts/deps.sh bench
	$(GO) run ./bench/pipeline

# Authorised segment delivery against nginx, with wrk (a few minutes).
bench-delivery:
	@scripts/deps.sh bench
	$(GO) run ./bench/delivery

# Storage cost of the HLS ladder against PeerTube's defaults (several minutes).
bench-storage:
	@scripts/deps.sh bench
	$(GO) run ./bench/storage

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

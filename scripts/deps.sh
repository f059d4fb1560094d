#!/usr/bin/env bash
# Ensures the system programs Lectern needs are present. Usage:
#   scripts/deps.sh build   what `make build` needs (Go only)
#   scripts/deps.sh run     what `make run` needs (ffmpeg for processing, espeak-ng
#                           and a font for the demo's sample lecture)
#   scripts/deps.sh test    what `make test` needs (adds Chromium for browser tests)
# Missing Debian packages are installed with apt-get when running as root;
# otherwise the script prints exactly what to install and fails.
set -euo pipefail

want="${1:-run}"
# command:package pairs (or /absolute/file:package)
need=()
case "$want" in
  build) need=() ;;
  run)  need=(ffmpeg:ffmpeg ffprobe:ffmpeg espeak-ng:espeak-ng /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core) ;;
  test) need=(ffmpeg:ffmpeg ffprobe:ffmpeg chromium:chromium node:nodejs npm:npm) ;;
  bench) need=(ffmpeg:ffmpeg espeak-ng:espeak-ng nginx:nginx-light wrk:wrk taskset:util-linux /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core) ;;
  *) echo "usage: $0 build|run|test|bench" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null 2>&1; then
  echo "Go is missing: install Go 1.26 or newer (https://go.dev/doc/install) and put it on PATH." >&2
  exit 1
fi

missing=()
for pair in "${need[@]}"; do
  cmd="${pair%%:*}" pkg="${pair##*:}"
  case "$cmd" in
    /*) [ -e "$cmd" ] || missing+=("$pkg") ;;   # a file the package provides
    *) command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} with apt-get ..." >&2
export DEBIAN_FRONTEND=noninteractive
# apt-get can fail once on a vanished temporary file; a second try passes.
for attempt in 1 2; do
  if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt)" >&2
  sleep 2
done
exit 1

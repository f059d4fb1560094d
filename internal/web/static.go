package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/lectern-edu/lectern"
)

//go:embed static
var staticFS embed.FS

// assets are the embedded static files, each reachable under a name that
// carries a hash of its content (lectern.3f9a1c2b7d.css), so that they can
// be cached for a year and still change with every release.
type assets struct {
	hashed map[string]string // plain name → hashed name
	files  map[string]asset  // hashed or plain name → file
}

type asset struct {
	body        []byte
	contentType string
	etag        string
	immutable   bool
}

func loadAssets() (*assets, error) {
	a := &assets{hashed: map[string]string{}, files: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		short := hex.EncodeToString(sum[:5])
		ext := path.Ext(name)
		hashedName := strings.TrimSuffix(name, ext) + "." + short + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.hashed[name] = hashedName
		f := asset{body: body, contentType: ctype, etag: `"` + short + `"`}
		a.files[name] = f
		f.immutable = true
		a.files[hashedName] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load static files: %w", err)
	}
	return a, nil
}

// url is the template function "static": the checksummed URL of a file.
func (a *assets) url(name string) (string, error) {
	h, ok := a.hashed[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + h, nil
}

// Static serves GET /static/{file}. Checksummed names are cached for a
// year; plain names (for anyone who bookmarks one) are revalidated.
func (p *Pages) Static(w http.ResponseWriter, r *http.Request) error {
	f, ok := p.assets.files[r.PathValue("file")]
	if !ok {
		return lectern.Errorf(lectern.ENotFound, "There is no such file.")
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	if f.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && match == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.body)
	}
	return nil
}

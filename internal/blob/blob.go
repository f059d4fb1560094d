// Package blob stores Lectern's large objects (uploaded media, renditions,
// captions) either in a local directory or in S3-compatible object storage
// (DESIGN §5). Callers see one small Store interface; optional capabilities,
// such as presigned URLs, are separate interfaces checked with a type
// assertion.
package blob

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
)

// Info describes one stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Store keeps objects under slash-separated keys. Every method validates
// its key and returns an error of kind lectern.EInvalid for a bad one (see
// ValidateKey). Failures to reach the backend are of kind
// lectern.EUnavailable; their message names the location but never a
// secret.
type Store interface {
	// Put streams r into key (overwrites atomically: readers never see a
	// half-written object). Returns bytes written.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open streams length bytes from offset (length < 0: to the end). A
	// range running past the end is cut at the end; an offset past the end
	// is lectern.EInvalid. Missing key → error with lectern.ENotFound.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Stat describes key; missing → lectern.ENotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns every object whose key starts with prefix, sorted by
	// key, reading all pages.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Ping checks that the store is reachable, writable and readable; used
	// by /readyz. Its error message names the location without secrets.
	Ping(ctx context.Context) error
}

// FileOpener is implemented by stores whose objects are files on this
// machine (the local store). Serving an *os.File lets net/http hand the
// bytes to the kernel (sendfile) instead of copying them through user
// space, which is what makes segment delivery keep up with a static web
// server.
type FileOpener interface {
	// OpenFile opens the regular file of key for reading; a missing key is
	// ENotFound.
	OpenFile(key string) (*os.File, error)
}

// Presigner is implemented by stores that can hand out time-limited URLs
// a browser may fetch directly (the S3 store). Playback redirects to them.
type Presigner interface {
	// PresignGet returns a URL that serves key with GET for ttl. It does not
	// check that key exists.
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// reservedPrefix starts the names the stores use for themselves: temporary
// files of the local store and Ping's probe objects. No key segment may
// start with it, and List never returns such keys.
const reservedPrefix = ".lectern-"

// Open selects the implementation from blobURL:
//
//   - "" → local directory dataDir/blobs;
//   - "file:///abs/path" → local directory /abs/path;
//   - "s3://bucket[/prefix]?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true"
//     → S3-compatible storage (see OpenS3 for every parameter).
//
// Open creates a missing local directory but does not contact S3; call Ping
// for that. An unknown scheme or a malformed URL is lectern.EInvalid.
func Open(ctx context.Context, blobURL, dataDir string) (Store, error) {
	if blobURL == "" {
		if dataDir == "" {
			return nil, lectern.Errorf(lectern.EInvalid, "blob storage: no blob URL and no data directory")
		}
		return openLocal(filepath.Join(dataDir, "blobs"))
	}
	u, err := url.Parse(blobURL)
	if err != nil {
		return nil, &lectern.Error{Code: lectern.EInvalid, Message: "blob storage: the blob URL is not a valid URL"}
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, lectern.Errorf(lectern.EInvalid, "blob storage: file URL must not name a host (use file:///abs/path)")
		}
		if u.RawQuery != "" || !filepath.IsAbs(u.Path) {
			return nil, lectern.Errorf(lectern.EInvalid, "blob storage: file URL must be file:///absolute/path")
		}
		return openLocal(filepath.FromSlash(u.Path))
	case "s3":
		s, err := OpenS3(ctx, u)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return s, nil
	default:
		return nil, lectern.Errorf(lectern.EInvalid, "blob storage: unknown URL scheme %q (want file or s3)", u.Scheme)
	}
}

func openLocal(dir string) (Store, error) {
	s, err := NewLocalStore(dir)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Redact returns blobURL fit for logs: the secret_key parameter is removed
// and so is any password in the URL or in its endpoint parameter. A URL
// that does not parse is replaced as a whole.
func Redact(blobURL string) string {
	if blobURL == "" {
		return ""
	}
	u, err := url.Parse(blobURL)
	if err != nil {
		return "(unparsable blob URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	q.Del("secret_key")
	if ep := q.Get("endpoint"); ep != "" {
		q.Set("endpoint", redactEndpoint(ep))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// redactEndpoint strips userinfo and the query from an endpoint URL.
func redactEndpoint(endpoint string) string {
	e, err := url.Parse(endpoint)
	if err != nil {
		return "(unparsable endpoint)"
	}
	e.User = nil
	e.RawQuery = ""
	e.Fragment = ""
	return e.String()
}

// ValidateKey reports whether key may name an object: it must be non-empty,
// at most 1024 bytes, without a leading or trailing "/", empty, "." or ".."
// segments, backslashes, NUL or other control characters, and no segment
// may start with ".lectern-" (reserved for the stores themselves). A bad key
// is lectern.EInvalid.
func ValidateKey(key string) error {
	if key == "" {
		return lectern.Errorf(lectern.EInvalid, "blob key is empty")
	}
	if len(key) > 1024 {
		return lectern.Errorf(lectern.EInvalid, "blob key is longer than 1024 bytes")
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return lectern.Errorf(lectern.EInvalid, "blob key %q must not start or end with /", key)
	}
	if err := checkChars(key); err != nil {
		return err
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return lectern.Errorf(lectern.EInvalid, "blob key %q has an empty segment", key)
		case seg == "." || seg == "..":
			return lectern.Errorf(lectern.EInvalid, "blob key %q has a %q segment", key, seg)
		case strings.HasPrefix(seg, reservedPrefix):
			return lectern.Errorf(lectern.EInvalid, "blob key %q uses the reserved prefix %q", key, reservedPrefix)
		}
	}
	return nil
}

// validatePrefix checks a List prefix: it may be empty or end with "/" or
// part of a segment, but it must not climb out of the store.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if strings.HasPrefix(prefix, "/") {
		return lectern.Errorf(lectern.EInvalid, "blob prefix %q must not start with /", prefix)
	}
	if err := checkChars(prefix); err != nil {
		return err
	}
	for seg := range strings.SplitSeq(prefix, "/") {
		if seg == "." || seg == ".." {
			return lectern.Errorf(lectern.EInvalid, "blob prefix %q has a %q segment", prefix, seg)
		}
	}
	return nil
}

func checkChars(s string) error {
	if !utf8.ValidString(s) {
		return lectern.Errorf(lectern.EInvalid, "blob key is not valid UTF-8")
	}
	for _, c := range s {
		switch {
		case c == '\\':
			return lectern.Errorf(lectern.EInvalid, "blob key %q contains a backslash", s)
		case c == 0:
			return lectern.Errorf(lectern.EInvalid, "blob key contains a NUL byte")
		case c < 0x20 || c == 0x7f:
			return lectern.Errorf(lectern.EInvalid, "blob key contains a control character")
		}
	}
	return nil
}

// isReserved reports whether key has a segment the stores keep for
// themselves, so that List can hide it.
func isReserved(key string) bool {
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, reservedPrefix) {
			return true
		}
	}
	return false
}

// checkRange validates Open's offset; length < 0 means "to the end".
func checkRange(offset int64) error {
	if offset < 0 {
		return lectern.Errorf(lectern.EInvalid, "blob range offset %d is negative", offset)
	}
	return nil
}

// errPastEnd is the error for an offset beyond the end of an object.
func errPastEnd(key string, offset, size int64) error {
	return lectern.Errorf(lectern.EInvalid, "blob range offset %d is past the end of %q (%d bytes)", offset, key, size)
}

// errNotFound is the error for a missing object.
func errNotFound(key string, err error) error {
	return &lectern.Error{Code: lectern.ENotFound, Message: fmt.Sprintf("blob %q not found", key), Err: err}
}

// ctxReader stops a long copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

package playback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/pipeline"
)

// mediaFile is what may be asked for under a token: a file of the
// rendition, or one in a rendition's folder ("360p/seg_00001.m4s").
var mediaFile = regexp.MustCompile(`^(?:[A-Za-z0-9_-]{1,32}/)?[A-Za-z0-9_-]{1,64}\.(m3u8|m4s|mp4|jpg|vtt)$`)

var contentTypes = map[string]string{
	".m3u8": "application/vnd.apple.mpegurl",
	".m4s":  "video/iso.segment",
	".mp4":  "video/mp4",
	".jpg":  "image/jpeg",
	".vtt":  "text/vtt; charset=utf-8",
}

// maxCacheAge caps how long a browser keeps a file; never beyond the
// token's expiry, since the URL carries the token.
const maxCacheAge = 24 * time.Hour

// ServeMedia serves GET/HEAD /hls/{session}/{token}/{file...}: playlists,
// segments, poster, thumbnails, sprite sheets and the sprite's WebVTT of
// the rendition version the token names. The token alone decides (no
// database access): forged, expired or another session's token is 403.
// Ranges, If-None-Match/If-Modified-Since and HEAD are handled as
// http.ServeContent does; Cache-Control is private, for at most the
// token's remaining lifetime.
func (s *Service) ServeMedia(w http.ResponseWriter, r *http.Request) error {
	sessionID, file := r.PathValue("session"), r.PathValue("file")
	c, err := s.Verify(r.PathValue("token"), sessionID)
	if err != nil {
		return err
	}
	if !mediaFile.MatchString(file) {
		return lectern.Errorf(lectern.ENotFound, "There is no such file in this recording.")
	}
	key := pipeline.RenditionPrefix(sessionID, c.Version) + file
	content, info, err := s.open(r.Context(), key)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.Errorf(lectern.ENotFound, "There is no such file in this recording.")
	}
	if err != nil {
		return err
	}
	defer content.Close()
	h := w.Header()
	h.Set("Content-Type", contentTypes[path.Ext(file)])
	age := min(c.Expires.Sub(s.now()), maxCacheAge)
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(max(int(age.Seconds()), 0)))
	// Files under a version never change: size and time identify them.
	h.Set("ETag", fmt.Sprintf(`"v%d-%x-%x"`, c.Version, info.Size, info.ModTime.UnixNano()))
	http.ServeContent(w, r, "", info.ModTime, content)
	return nil
}

// open returns the blob of key for http.ServeContent: the file itself
// where the store keeps files on this machine (so the kernel sends it),
// otherwise a ranged reader over the store.
func (s *Service) open(ctx context.Context, key string) (io.ReadSeekCloser, blob.Info, error) {
	if fo, ok := s.blobs.(blob.FileOpener); ok {
		f, err := fo.OpenFile(key)
		if err != nil {
			return nil, blob.Info{}, err
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, blob.Info{}, lectern.Errorf(lectern.ENotFound, "no such file")
		}
		return f, blob.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
	}
	info, err := s.blobs.Stat(ctx, key)
	if err != nil {
		return nil, blob.Info{}, err
	}
	return &blobFile{ctx: ctx, store: s.blobs, key: key, size: info.Size}, info, nil
}

// blobFile is an io.ReadSeeker over one blob, opening a ranged read at the
// current offset when first read after a seek: http.ServeContent seeks to
// the requested range and reads only what it sends.
type blobFile struct {
	ctx   context.Context
	store blob.Store
	key   string
	size  int64
	off   int64
	rc    io.ReadCloser
}

func (f *blobFile) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	if f.rc == nil {
		rc, err := f.store.Open(f.ctx, f.key, f.off, f.size-f.off)
		if err != nil {
			return 0, err
		}
		f.rc = rc
	}
	n, err := f.rc.Read(p)
	f.off += int64(n)
	return n, err
}

func (f *blobFile) Seek(offset int64, whence int) (int64, error) {
	var to int64
	switch whence {
	case io.SeekStart:
		to = offset
	case io.SeekCurrent:
		to = f.off + offset
	case io.SeekEnd:
		to = f.size + offset
	default:
		return 0, errors.New("blobFile: bad whence")
	}
	if to < 0 {
		return 0, errors.New("blobFile: negative position")
	}
	if to != f.off {
		_ = f.Close()
		f.off = to
	}
	return to, nil
}

func (f *blobFile) Close() error {
	if f.rc == nil {
		return nil
	}
	err := f.rc.Close()
	f.rc = nil
	return err
}

package upload

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/blob"
)

// Storage layout of a resumable upload in the blob store:
//
//	uploads/{id}/info.json            the upload's length and metadata
//	uploads/{id}/part-{offset:016d}   the bytes from offset, one object per part
//	sessions/{id}/source              the whole file, once assembled
//
// blob.Store has no append, so each PATCH writes one or more part objects
// (at most PartSize bytes each) named by the offset they start at. The
// offset of an upload is where its contiguous run of parts from 0 ends.
// Whatever arrived before a client disconnected is kept (tusd hands the
// store a body that ends cleanly), so a resumed upload starts where the
// bytes stopped. When the last byte has arrived the parts are joined into
// the session's source object by Assemble, in the media pipeline rather
// than in the final PATCH, so that the browser is not kept waiting for a
// copy of a large file.

// DefaultPartSize bounds one part object.
const DefaultPartSize = 64 << 20

// SourceKey is where a session's uploaded recording is kept.
func SourceKey(sessionID string) string { return "sessions/" + sessionID + "/source" }

func infoKey(id string) string            { return "uploads/" + id + "/info.json" }
func partPrefix(id string) string         { return "uploads/" + id + "/part-" }
func partKey(id string, off int64) string { return fmt.Sprintf("%s%016d", partPrefix(id), off) }

// validID matches the upload ids Lectern hands out (session ids).
var validID = regexp.MustCompile(`^[0-9a-zA-Z-]{1,64}$`)

// record is uploads/{id}/info.json.
type record struct {
	ID        string            `json:"id"`
	Size      int64             `json:"size"`
	MetaData  map[string]string `json:"metadata,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	// Assembled is set once the parts were joined into the source object
	// (and deleted); the upload is then complete.
	Assembled bool `json:"assembled,omitempty"`
}

// dataStore is a tusd DataStore (with termination) over a blob.Store.
type dataStore struct {
	blobs    blob.Store
	partSize int64
	now      func() time.Time
}

var (
	_ handler.DataStore           = (*dataStore)(nil)
	_ handler.TerminaterDataStore = (*dataStore)(nil)
)

func (s *dataStore) NewUpload(ctx context.Context, info handler.FileInfo) (handler.Upload, error) {
	if !validID.MatchString(info.ID) {
		return nil, fmt.Errorf("upload: new upload without a valid id (%q)", info.ID)
	}
	if info.SizeIsDeferred {
		return nil, handler.NewError("ERR_LENGTH_REQUIRED", "Upload-Length is required", 400)
	}
	rec := record{ID: info.ID, Size: info.Size, MetaData: info.MetaData, CreatedAt: s.now().UTC()}
	if err := s.writeRecord(ctx, rec); err != nil {
		return nil, err
	}
	return &upload{s: s, rec: rec}, nil
}

func (s *dataStore) GetUpload(ctx context.Context, id string) (handler.Upload, error) {
	if !validID.MatchString(id) {
		return nil, handler.ErrNotFound
	}
	rec, err := s.readRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	return &upload{s: s, rec: rec}, nil
}

func (s *dataStore) AsTerminatableUpload(u handler.Upload) handler.TerminatableUpload {
	return u.(*upload)
}

func (s *dataStore) writeRecord(ctx context.Context, rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := s.blobs.Put(ctx, infoKey(rec.ID), bytes.NewReader(b)); err != nil {
		return fmt.Errorf("upload %s: write info: %w", rec.ID, err)
	}
	return nil
}

// readRecord reads an upload's info; a missing one is tusd's ErrNotFound.
func (s *dataStore) readRecord(ctx context.Context, id string) (record, error) {
	rc, err := s.blobs.Open(ctx, infoKey(id), 0, -1)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return record{}, handler.ErrNotFound
	}
	if err != nil {
		return record{}, fmt.Errorf("upload %s: read info: %w", id, err)
	}
	defer rc.Close()
	var rec record
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&rec); err != nil {
		return record{}, fmt.Errorf("upload %s: read info: %w", id, err)
	}
	return rec, nil
}

// part is one stored run of bytes.
type part struct {
	key     string
	offset  int64
	size    int64
	modTime time.Time
}

// parts returns the contiguous run of parts from offset 0, and the offset
// where it ends. Anything after a gap (which the lock makes impossible)
// is ignored.
func (s *dataStore) parts(ctx context.Context, id string) ([]part, int64, error) {
	infos, err := s.blobs.List(ctx, partPrefix(id))
	if err != nil {
		return nil, 0, fmt.Errorf("upload %s: list parts: %w", id, err)
	}
	var out []part
	var end int64
	for _, in := range infos {
		off, err := strconv.ParseInt(strings.TrimPrefix(in.Key, partPrefix(id)), 10, 64)
		if err != nil || off != end {
			break
		}
		out = append(out, part{key: in.Key, offset: off, size: in.Size, modTime: in.ModTime})
		end += in.Size
	}
	return out, end, nil
}

// upload is one upload as tusd sees it.
type upload struct {
	s   *dataStore
	rec record
}

var _ handler.TerminatableUpload = (*upload)(nil)

func (u *upload) GetInfo(ctx context.Context) (handler.FileInfo, error) {
	info := handler.FileInfo{ID: u.rec.ID, Size: u.rec.Size, MetaData: u.rec.MetaData}
	if u.rec.Assembled {
		info.Offset = u.rec.Size
		return info, nil
	}
	_, end, err := u.s.parts(ctx, u.rec.ID)
	if err != nil {
		return handler.FileInfo{}, err
	}
	info.Offset = end
	return info, nil
}

// WriteChunk stores src from offset as part objects of at most partSize
// bytes. tusd ends src cleanly when the client goes away, so what arrived
// is kept and the client resumes after it.
func (u *upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	if u.rec.Assembled {
		return 0, handler.ErrMismatchOffset
	}
	br := bufio.NewReaderSize(src, 256<<10)
	var written int64
	for {
		if _, err := br.Peek(1); err != nil {
			if err == io.EOF {
				return written, nil
			}
			return written, err
		}
		n, err := u.s.blobs.Put(ctx, partKey(u.rec.ID, offset+written), io.LimitReader(br, u.s.partSize))
		if err != nil {
			return written, fmt.Errorf("upload %s: store part at %d: %w", u.rec.ID, offset+written, err)
		}
		written += n
		if n < u.s.partSize {
			return written, nil
		}
	}
}

func (u *upload) GetReader(ctx context.Context) (io.ReadCloser, error) {
	if u.rec.Assembled {
		return u.s.blobs.Open(ctx, SourceKey(u.rec.ID), 0, -1)
	}
	ps, _, err := u.s.parts(ctx, u.rec.ID)
	if err != nil {
		return nil, err
	}
	return &partsReader{ctx: ctx, blobs: u.s.blobs, parts: ps}, nil
}

// FinishUpload does nothing: the pipeline assembles the parts (Assemble).
func (u *upload) FinishUpload(context.Context) error { return nil }

// Terminate deletes the upload's parts and info.
func (u *upload) Terminate(ctx context.Context) error {
	ps, _, err := u.s.parts(ctx, u.rec.ID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := u.s.blobs.Delete(ctx, p.key); err != nil {
			return err
		}
	}
	return u.s.blobs.Delete(ctx, infoKey(u.rec.ID))
}

// partsReader reads parts one after another, opening each when reached.
type partsReader struct {
	ctx   context.Context
	blobs blob.Store
	parts []part
	cur   io.ReadCloser
}

func (r *partsReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.parts) == 0 {
				return 0, io.EOF
			}
			rc, err := r.blobs.Open(r.ctx, r.parts[0].key, 0, -1)
			if err != nil {
				return 0, err
			}
			r.cur, r.parts = rc, r.parts[1:]
		}
		n, err := r.cur.Read(p)
		if err == io.EOF {
			_ = r.cur.Close()
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (r *partsReader) Close() error {
	if r.cur != nil {
		return r.cur.Close()
	}
	return nil
}

// Assemble joins a finished upload's parts into SourceKey(id) and deletes
// them, and returns the source's size. It is idempotent: once assembled
// it only reports the size, and an assembly cut short is done again. An
// upload whose bytes have not all arrived is EConflict.
func (s *dataStore) Assemble(ctx context.Context, id string) (int64, error) {
	rec, err := s.readRecord(ctx, id)
	if err != nil {
		if errors.Is(err, handler.ErrNotFound) {
			return 0, lectern.Errorf(lectern.ENotFound, "upload not found")
		}
		return 0, err
	}
	if !rec.Assembled {
		ps, end, err := s.parts(ctx, id)
		if err != nil {
			return 0, err
		}
		if end != rec.Size {
			return 0, lectern.Errorf(lectern.EConflict, "The upload is not complete: %d of %d bytes arrived.", end, rec.Size)
		}
		pr := &partsReader{ctx: ctx, blobs: s.blobs, parts: ps}
		n, err := s.blobs.Put(ctx, SourceKey(id), pr)
		_ = pr.Close()
		if err != nil {
			return 0, fmt.Errorf("upload %s: assemble source: %w", id, err)
		}
		if n != rec.Size {
			return 0, fmt.Errorf("upload %s: assembled %d bytes, want %d", id, n, rec.Size)
		}
		rec.Assembled = true
		if err := s.writeRecord(ctx, rec); err != nil {
			return 0, err
		}
	}
	// Delete parts left over, including by an earlier run cut short after
	// marking the record.
	infos, err := s.blobs.List(ctx, partPrefix(id))
	if err != nil {
		return 0, fmt.Errorf("upload %s: list parts: %w", id, err)
	}
	for _, in := range infos {
		if err := s.blobs.Delete(ctx, in.Key); err != nil {
			return 0, fmt.Errorf("upload %s: delete part: %w", id, err)
		}
	}
	return rec.Size, nil
}

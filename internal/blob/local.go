package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/lectern-edu/lectern"
)

// LocalStore keeps each object as a file under a root directory, one
// directory level per key segment ("a/b/c" is root/a/b/c). Because a file
// and a directory cannot share a name, the keys "a" and "a/b" cannot both
// exist here (unlike in S3); Put returns lectern.EConflict for the second.
type LocalStore struct {
	root string
}

var _ Store = (*LocalStore)(nil)

// NewLocalStore returns a store rooted at dir, creating it when missing.
func NewLocalStore(dir string) (*LocalStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, &lectern.Error{Code: lectern.EUnavailable,
			Message: fmt.Sprintf("blob directory %s cannot be created", abs), Err: err}
	}
	return &LocalStore{root: abs}, nil
}

// Root returns the directory the store writes to.
func (s *LocalStore) Root() string { return s.root }

func (s *LocalStore) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// Put writes r to a temporary file in the key's directory, syncs it and
// renames it over the key, so that readers see the old or the new object
// and never a part. On failure nothing is left behind.
func (s *LocalStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidateKey(key); err != nil {
		return 0, err
	}
	dst := s.path(key)
	dir := filepath.Dir(dst)
	f, err := s.createTemp(key, dir)
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	n, err := io.Copy(f, ctxReader{ctx: ctx, r: r})
	if err != nil {
		return n, fmt.Errorf("put blob %q: %w", key, s.classify(err))
	}
	if err := f.Chmod(0o640); err != nil {
		return n, fmt.Errorf("put blob %q: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("put blob %q: sync: %w", key, s.classify(err))
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("put blob %q: close: %w", key, s.classify(err))
	}
	if err := os.Rename(tmp, dst); err != nil {
		if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
			return n, errConflict(key, err)
		}
		return n, fmt.Errorf("put blob %q: %w", key, s.classify(err))
	}
	done = true
	if err := syncDir(dir); err != nil {
		return n, fmt.Errorf("put blob %q: sync directory: %w", key, s.classify(err))
	}
	return n, nil
}

// createTemp makes the key's directory and a temporary file in it. A
// concurrent Delete may prune the directory between the two steps, so it
// tries again a few times.
func (s *LocalStore) createTemp(key, dir string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EEXIST) {
				return nil, errConflict(key, err)
			}
			return nil, fmt.Errorf("put blob %q: %w", key, s.classify(err))
		}
		f, err := os.CreateTemp(dir, reservedPrefix+"tmp-*")
		if err == nil {
			return f, nil
		}
		if errors.Is(err, fs.ErrNotExist) && attempt < 5 {
			continue
		}
		return nil, fmt.Errorf("put blob %q: %w", key, s.classify(err))
	}
}

// Open returns the requested range of the file. The file stays readable
// to the end even if it is replaced or deleted meanwhile.
func (s *LocalStore) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := checkRange(offset); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		if isMissing(err) {
			return nil, errNotFound(key, err)
		}
		return nil, fmt.Errorf("open blob %q: %w", key, s.classify(err))
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open blob %q: %w", key, s.classify(err))
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, errNotFound(key, nil)
	}
	if offset > fi.Size() {
		_ = f.Close()
		return nil, errPastEnd(key, offset, fi.Size())
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("open blob %q: %w", key, err)
		}
	}
	var r io.Reader = f
	if length >= 0 {
		r = io.LimitReader(f, length)
	}
	return readCloser{Reader: r, Closer: f}, nil
}

// OpenFile opens the file of key; see FileOpener.
func (s *LocalStore) OpenFile(key string) (*os.File, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		if isMissing(err) {
			return nil, errNotFound(key, err)
		}
		return nil, fmt.Errorf("open blob %q: %w", key, s.classify(err))
	}
	return f, nil
}

// Stat describes the file of key.
func (s *LocalStore) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(s.path(key))
	if err != nil {
		if isMissing(err) {
			return Info{}, errNotFound(key, err)
		}
		return Info{}, fmt.Errorf("stat blob %q: %w", key, s.classify(err))
	}
	if !fi.Mode().IsRegular() {
		return Info{}, errNotFound(key, nil)
	}
	return Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the file of key and then any directories it leaves
// empty, up to the root.
func (s *LocalStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	p := s.path(key)
	fi, err := os.Lstat(p)
	if err != nil {
		if isMissing(err) {
			return nil
		}
		return fmt.Errorf("delete blob %q: %w", key, s.classify(err))
	}
	if fi.IsDir() {
		return nil // not an object
	}
	if err := os.Remove(p); err != nil && !isMissing(err) {
		return fmt.Errorf("delete blob %q: %w", key, s.classify(err))
	}
	for d := filepath.Dir(p); d != s.root && strings.HasPrefix(d, s.root); d = filepath.Dir(d) {
		if os.Remove(d) != nil { // not empty, or already gone
			break
		}
	}
	return nil
}

// List walks only the directory that prefix points into.
func (s *LocalStore) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	base := s.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		base = s.path(prefix[:i])
	}
	var out []Info
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if isMissing(err) {
				return nil // removed while walking, or the prefix names nothing
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			dirKey := rel + "/"
			if isReserved(rel) || !strings.HasPrefix(dirKey, prefix) && !strings.HasPrefix(prefix, dirKey) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || isReserved(rel) || !strings.HasPrefix(rel, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if isMissing(err) {
				return nil
			}
			return err
		}
		out = append(out, Info{Key: rel, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list blobs %q: %w", prefix, s.classify(err))
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Ping writes, syncs, reads back and removes a probe file in the root.
func (s *LocalStore) Ping(ctx context.Context) error {
	unavailable := func(what string, err error) error {
		return &lectern.Error{Code: lectern.EUnavailable,
			Message: fmt.Sprintf("blob directory %s is %s", s.root, what), Err: err}
	}
	fi, err := os.Stat(s.root)
	if err != nil {
		return unavailable("missing", err)
	}
	if !fi.IsDir() {
		return unavailable("not a directory", nil)
	}
	f, err := os.CreateTemp(s.root, reservedPrefix+"ping-*")
	if err != nil {
		return unavailable("not writable", err)
	}
	name := f.Name()
	defer func() { _ = os.Remove(name) }()
	probe := []byte("lectern blob ping\n")
	_, err = f.Write(probe)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return unavailable("not writable", err)
	}
	got, err := os.ReadFile(name)
	if err != nil {
		return unavailable("not readable", err)
	}
	if !bytes.Equal(got, probe) {
		return unavailable("returning wrong data", nil)
	}
	return nil
}

// classify gives the kind EUnavailable to failures of the disk itself.
func (s *LocalStore) classify(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return &lectern.Error{Code: lectern.EUnavailable,
			Message: fmt.Sprintf("blob directory %s is full", s.root), Err: err}
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EIO):
		return &lectern.Error{Code: lectern.EUnavailable,
			Message: fmt.Sprintf("blob directory %s is not usable", s.root), Err: err}
	}
	return err
}

func errConflict(key string, err error) error {
	return &lectern.Error{Code: lectern.EConflict,
		Message: fmt.Sprintf("blob key %q clashes with an existing key (a key cannot also be a prefix of another in local storage)", key),
		Err:     err}
}

// isMissing reports whether err means the path does not exist, including
// a file standing where a directory of the path was expected.
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil // some filesystems cannot sync a directory
	}
	return err
}

type readCloser struct {
	io.Reader
	io.Closer
}

package blob_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/testkit"
)

// backends opens a fresh, empty store of each kind.
var backends = []struct {
	name string
	open func(t *testing.T) blob.Store
}{
	{"local", func(t *testing.T) blob.Store {
		return mustOpen(t, "", t.TempDir())
	}},
	{"s3", func(t *testing.T) blob.Store {
		// Small pages make List walk several of them.
		return mustOpen(t, testkit.StartS3(t)+"&page_size=7", "")
	}},
}

// behaviours is the contract every Store keeps.
var behaviours = []struct {
	name string
	run  func(t *testing.T, s blob.Store)
}{
	{"put then open returns the same bytes", func(t *testing.T, s blob.Store) {
		n, err := s.Put(t.Context(), "rec/1/source.mp4", strings.NewReader("hello, lecture"))
		if err != nil {
			t.Fatal(err)
		}
		if n != 14 {
			t.Errorf("Put wrote %d bytes, want 14", n)
		}
		if got := readAll(t, s, "rec/1/source.mp4", 0, -1); got != "hello, lecture" {
			t.Errorf("Open = %q", got)
		}
	}},
	{"put of an empty body stores an empty object", func(t *testing.T, s blob.Store) {
		put(t, s, "empty", "")
		if got := readAll(t, s, "empty", 0, -1); got != "" {
			t.Errorf("Open = %q, want empty", got)
		}
		if info := stat(t, s, "empty"); info.Size != 0 {
			t.Errorf("Size = %d, want 0", info.Size)
		}
	}},
	{"put overwrites the whole object", func(t *testing.T, s blob.Store) {
		put(t, s, "a/b", "a much longer first version")
		put(t, s, "a/b", "v2")
		if got := readAll(t, s, "a/b", 0, -1); got != "v2" {
			t.Errorf("Open = %q, want v2", got)
		}
		if info := stat(t, s, "a/b"); info.Size != 2 {
			t.Errorf("Size = %d, want 2", info.Size)
		}
	}},
	{"failed put leaves the old object", func(t *testing.T, s blob.Store) {
		put(t, s, "keep", "old")
		boom := errors.New("client went away")
		r := io.MultiReader(strings.NewReader(strings.Repeat("x", 100<<10)), errReader{boom})
		if _, err := s.Put(t.Context(), "keep", r); !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
		if got := readAll(t, s, "keep", 0, -1); got != "old" {
			t.Errorf("Open = %q, want old", got)
		}
		if keys := listKeys(t, s, ""); !slices.Equal(keys, []string{"keep"}) {
			t.Errorf("List = %q, want only keep (no temporary leftovers)", keys)
		}
	}},
	{"open returns byte ranges", func(t *testing.T, s blob.Store) {
		put(t, s, "r", "0123456789")
		for _, c := range []struct {
			offset, length int64
			want           string
		}{
			{0, -1, "0123456789"},
			{3, -1, "3456789"},
			{3, 4, "3456"},
			{0, 1, "0"},
			{9, 1, "9"},
			{7, 100, "789"}, // cut at the end
			{10, -1, ""},    // at the end
			{10, 5, ""},
			{4, 0, ""},
		} {
			if got := readAll(t, s, "r", c.offset, c.length); got != c.want {
				t.Errorf("Open(%d, %d) = %q, want %q", c.offset, c.length, got, c.want)
			}
		}
	}},
	{"open past the end or at a negative offset is invalid", func(t *testing.T, s blob.Store) {
		put(t, s, "r", "0123456789")
		for _, c := range [][2]int64{{11, -1}, {11, 3}, {11, 0}, {-1, -1}} {
			_, err := s.Open(t.Context(), "r", c[0], c[1])
			wantCode(t, err, lectern.EInvalid)
		}
	}},
	{"stat reports key, size and time", func(t *testing.T, s blob.Store) {
		put(t, s, "x/y.vtt", "WEBVTT\n")
		info := stat(t, s, "x/y.vtt")
		if info.Key != "x/y.vtt" || info.Size != 7 {
			t.Errorf("Stat = %+v, want key x/y.vtt size 7", info)
		}
		if d := time.Since(info.ModTime); d < -time.Minute || d > time.Hour {
			t.Errorf("ModTime = %v, not recent", info.ModTime)
		}
	}},
	{"list returns keys under a prefix sorted across pages", func(t *testing.T, s blob.Store) {
		var rec []string
		for i := range 20 {
			k := fmt.Sprintf("rec/%d", i)
			put(t, s, k, strings.Repeat("z", i))
			rec = append(rec, k)
		}
		put(t, s, "rec/sub/deep", "d")
		put(t, s, "recx", "x")
		put(t, s, "other/x", "x")
		rec = append(rec, "rec/sub/deep")
		slices.Sort(rec)

		if got := listKeys(t, s, "rec/"); !slices.Equal(got, rec) {
			t.Errorf("List(rec/) = %q\nwant %q", got, rec)
		}
		want1 := []string{"rec/1", "rec/10", "rec/11", "rec/12", "rec/13", "rec/14", "rec/15", "rec/16", "rec/17", "rec/18", "rec/19"}
		if got := listKeys(t, s, "rec/1"); !slices.Equal(got, want1) {
			t.Errorf("List(rec/1) = %q, want %q", got, want1)
		}
		if got := listKeys(t, s, "rec/sub/"); !slices.Equal(got, []string{"rec/sub/deep"}) {
			t.Errorf("List(rec/sub/) = %q", got)
		}
		all := listKeys(t, s, "")
		if len(all) != 23 || !slices.IsSorted(all) {
			t.Errorf("List() = %d keys %q, want 23 sorted", len(all), all)
		}
		if got := listKeys(t, s, "nothing/"); len(got) != 0 {
			t.Errorf("List(nothing/) = %q, want none", got)
		}
		infos, err := s.List(t.Context(), "rec/1")
		if err != nil {
			t.Fatal(err)
		}
		if infos[1].Key != "rec/10" || infos[1].Size != 10 || infos[1].ModTime.IsZero() {
			t.Errorf("List(rec/1)[1] = %+v, want rec/10 of 10 bytes with a time", infos[1])
		}
	}},
	{"delete removes the object and ignores a missing one", func(t *testing.T, s blob.Store) {
		put(t, s, "d/1", "one")
		put(t, s, "d/2", "two")
		if err := s.Delete(t.Context(), "d/1"); err != nil {
			t.Fatal(err)
		}
		_, err := s.Stat(t.Context(), "d/1")
		wantCode(t, err, lectern.ENotFound)
		if err := s.Delete(t.Context(), "d/1"); err != nil {
			t.Errorf("second Delete = %v, want nil", err)
		}
		if err := s.Delete(t.Context(), "never/was"); err != nil {
			t.Errorf("Delete(missing) = %v, want nil", err)
		}
		if got := listKeys(t, s, ""); !slices.Equal(got, []string{"d/2"}) {
			t.Errorf("List = %q, want [d/2]", got)
		}
	}},
	{"missing key is not found", func(t *testing.T, s blob.Store) {
		put(t, s, "dir/file", "x")
		for _, key := range []string{"nope", "dir", "dir/file/below", "dir/nope"} {
			_, err := s.Open(t.Context(), key, 0, -1)
			wantCode(t, err, lectern.ENotFound)
			_, err = s.Open(t.Context(), key, 2, 5)
			wantCode(t, err, lectern.ENotFound)
			_, err = s.Stat(t.Context(), key)
			wantCode(t, err, lectern.ENotFound)
		}
	}},
	{"invalid keys are rejected", func(t *testing.T, s blob.Store) {
		ctx := t.Context()
		for _, key := range []string{"", "/abs", "a/../b", "..", "../x", "a\\b", "a\x00b", "a//b", "a/", "./a",
			"bad\xffutf8", ".lectern-tmp-x", "a/.lectern-ping/x"} {
			_, err := s.Put(ctx, key, strings.NewReader("x"))
			wantCode(t, err, lectern.EInvalid)
			_, err = s.Open(ctx, key, 0, -1)
			wantCode(t, err, lectern.EInvalid)
			_, err = s.Stat(ctx, key)
			wantCode(t, err, lectern.EInvalid)
			wantCode(t, s.Delete(ctx, key), lectern.EInvalid)
		}
		for _, prefix := range []string{"/x", "../", "a/../", "a\\"} {
			_, err := s.List(ctx, prefix)
			wantCode(t, err, lectern.EInvalid)
		}
	}},
	{"large streaming put round trips", func(t *testing.T, s blob.Store) {
		const size = 12<<20 + 12345 // over one 8 MiB part: a multipart upload on S3
		want := sha256.New()
		n, err := s.Put(t.Context(), "big/source.mp4", io.TeeReader(generated(size), want))
		if err != nil {
			t.Fatal(err)
		}
		if n != size {
			t.Errorf("Put wrote %d bytes, want %d", n, size)
		}
		if info := stat(t, s, "big/source.mp4"); info.Size != size {
			t.Errorf("Size = %d, want %d", info.Size, size)
		}
		r, err := s.Open(t.Context(), "big/source.mp4", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.New()
		_, err = io.Copy(got, r)
		_ = r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Error("read-back SHA-256 differs from what was written")
		}
		// A range across the first part boundary.
		const off, length = 8<<20 - 100, 200
		gen, exp := generated(size), make([]byte, length)
		if _, err := io.CopyN(io.Discard, gen, off); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(gen, exp); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, s, "big/source.mp4", off, length); got != string(exp) {
			t.Error("range across the part boundary differs")
		}
	}},
	{"ping succeeds and leaves nothing behind", func(t *testing.T, s blob.Store) {
		if err := s.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := listKeys(t, s, ""); len(got) != 0 {
			t.Errorf("List after Ping = %q, want none", got)
		}
	}},
}

func TestStore(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range behaviours {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, b.open(t))
				})
			}
		})
	}
}

func TestOpenRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, url, dataDir string }{
		{"unknown scheme", "ftp://example.com/blobs", "/tmp"},
		{"gs scheme", "gs://bucket", "/tmp"},
		{"no url and no data dir", "", ""},
		{"file url with a host", "file://host/abs", ""},
		{"relative file url", "file:relative/dir", ""},
		{"s3 without bucket", "s3:///x?region=us-east-1", ""},
		{"s3 with unknown parameter", "s3://b?regoin=us-east-1", ""},
		{"s3 with bad endpoint", "s3://b?endpoint=ftp://x", ""},
		{"s3 with access key only", "s3://b?access_key=AK", ""},
		{"s3 with bad path_style", "s3://b?path_style=maybe", ""},
		{"s3 with bad page size", "s3://b?page_size=0", ""},
		{"s3 with credentials in userinfo", "s3://ak:sk@b", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := blob.Open(t.Context(), c.url, c.dataDir)
			wantCode(t, err, lectern.EInvalid)
			if s != nil {
				t.Errorf("Open returned a store %T with the error", s)
			}
		})
	}
}

func TestOpenPicksImplementation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustOpen(t, "", dir)
	put(t, s, "k", "v")
	if _, err := os.Stat(filepath.Join(dir, "blobs", "k")); err != nil {
		t.Errorf("empty URL should store under dataDir/blobs: %v", err)
	}
	other := t.TempDir()
	s = mustOpen(t, "file://"+filepath.ToSlash(other), "/ignored")
	put(t, s, "k", "v")
	if _, err := os.Stat(filepath.Join(other, "k")); err != nil {
		t.Errorf("file URL should store in its path: %v", err)
	}
	s = mustOpen(t, "s3://bucket/some/prefix?endpoint=http://127.0.0.1:1&region=eu-west-1&path_style=true&access_key=a&secret_key=b", "")
	if _, ok := s.(*blob.S3Store); !ok {
		t.Errorf("s3 URL opened %T", s)
	}
	if _, ok := s.(blob.Presigner); !ok {
		t.Error("S3 store should be a Presigner")
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"file:///srv/blobs", "file:///srv/blobs"},
		{"s3://b?access_key=AK&region=us-east-1&secret_key=TOPSECRET", "s3://b?access_key=AK&region=us-east-1"},
		{"s3://b?endpoint=http%3A%2F%2Fu%3Apw%40minio%3A9000&secret_key=TOPSECRET", "s3://b?endpoint=http%3A%2F%2Fminio%3A9000"},
		{"s3://user:TOPSECRET@b", "s3://user@b"},
		{"s3://b\x7f?secret_key=TOPSECRET", "(unparsable blob URL)"},
	} {
		if got := blob.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestS3PingUnreachableHidesSecret(t *testing.T) {
	t.Parallel()
	const secret = "S3CR3T-do-not-log"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	s := mustOpen(t, "s3://media?endpoint=http://"+addr+"&region=us-east-1&path_style=true&access_key=AK&secret_key="+secret, "")

	start := time.Now()
	err = s.Ping(t.Context())
	wantCode(t, err, lectern.EUnavailable)
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("Ping error reveals the secret: %v", err)
	}
	if msg := lectern.ErrorMessage(err); !strings.Contains(msg, "s3://media") || !strings.Contains(msg, addr) {
		t.Errorf("Ping message %q should name the bucket and endpoint", msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Ping took %s; it should fail fast", d)
	}
}

func TestS3PingWrongSecret(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testkit.StartS3(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("secret_key", "wrong-secret-value")
	u.RawQuery = q.Encode()
	err = mustOpen(t, u.String(), "").Ping(t.Context())
	wantCode(t, err, lectern.EUnavailable)
	if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("Ping error reveals the secret: %v", err)
	}
}

func TestS3PresignGet(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, testkit.StartS3(t), "")
	put(t, s, "hls/1/index.m3u8", "#EXTM3U\n")
	p := s.(blob.Presigner)
	link, err := p.PresignGet(t.Context(), "hls/1/index.m3u8", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "#EXTM3U\n" {
		t.Errorf("GET presigned URL = %d %q", resp.StatusCode, body)
	}
	_, err = p.PresignGet(t.Context(), "../x", time.Minute)
	wantCode(t, err, lectern.EInvalid)
	_, err = p.PresignGet(t.Context(), "x", 8*24*time.Hour)
	wantCode(t, err, lectern.EInvalid)
}

func TestLocalKeyUnderObjectConflicts(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, "", t.TempDir())
	put(t, s, "a", "file")
	_, err := s.Put(t.Context(), "a/b", strings.NewReader("x"))
	wantCode(t, err, lectern.EConflict)
	put(t, s, "c/d", "x")
	_, err = s.Put(t.Context(), "c", strings.NewReader("x"))
	wantCode(t, err, lectern.EConflict)
}

func TestLocalDeletePrunesEmptyDirectories(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "blobs")
	s := mustOpen(t, "file://"+filepath.ToSlash(root), "")
	put(t, s, "x/y/z", "1")
	put(t, s, "x/keep", "2")
	if err := s.Delete(t.Context(), "x/y/z"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "x", "y")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("x/y should be gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "x", "keep")); err != nil {
		t.Errorf("x/keep should stay: %v", err)
	}
}

func TestLocalPingFailsWhenDirectoryIsGone(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "blobs")
	s := mustOpen(t, "file://"+filepath.ToSlash(root), "")
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	err := s.Ping(t.Context())
	wantCode(t, err, lectern.EUnavailable)
	if err != nil && !strings.Contains(lectern.ErrorMessage(err), root) {
		t.Errorf("Ping message %q should name %s", lectern.ErrorMessage(err), root)
	}
}

func mustOpen(t *testing.T, blobURL, dataDir string) blob.Store {
	t.Helper()
	s, err := blob.Open(context.Background(), blobURL, dataDir)
	if err != nil {
		t.Fatalf("Open(%s): %v", blob.Redact(blobURL), err)
	}
	return s
}

func put(t *testing.T, s blob.Store, key, data string) {
	t.Helper()
	if _, err := s.Put(t.Context(), key, strings.NewReader(data)); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func stat(t *testing.T, s blob.Store, key string) blob.Info {
	t.Helper()
	info, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	return info
}

func readAll(t *testing.T, s blob.Store, key string, offset, length int64) string {
	t.Helper()
	r, err := s.Open(t.Context(), key, offset, length)
	if err != nil {
		t.Fatalf("Open(%q, %d, %d): %v", key, offset, length, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(b)
}

func listKeys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	keys := make([]string, 0, len(infos))
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

func wantCode(t *testing.T, err error, code lectern.ErrorCode) {
	t.Helper()
	if err == nil {
		t.Errorf("got no error, want %s", code)
		return
	}
	if got := lectern.ErrorCodeOf(err); got != code {
		t.Errorf("error %v has code %s, want %s", err, got, code)
	}
}

// generated returns size deterministic pseudo-random bytes, produced as
// they are read so that nothing holds the whole body.
func generated(size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'l', 'e', 'c', 't', 'e', 'r', 'n'}), size)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Region is the region the test S3 server signs for.
const S3Region = "us-east-1"

// versitygwEnv names the environment variable that points at the
// versitygw binary; without it StartS3 looks for .cache/bin/versitygw in
// the working directory and its parents (where `make` installs it).
const versitygwEnv = "LECTERN_VERSITYGW"

// StartS3 returns the blob URL of a fresh, empty bucket on a real
// S3-compatible server (versitygw with its posix backend) listening on
// loopback:
//
//	s3://lectern-…?endpoint=http://127.0.0.1:PORT&region=us-east-1&path_style=true&access_key=…&secret_key=…
//
// One server process is shared by every test of the package that holds a
// bucket at the same time (so parallel tests start it once); it is killed
// and its files removed when the last of them ends. Each call gets its own
// bucket. Without the binary the test is skipped, except under CI=true
// where it fails.
func StartS3(t testing.TB) (blobURL string) {
	t.Helper()
	srv := acquireS3(t)
	t.Cleanup(releaseS3)

	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	bucket := "lectern-" + hex.EncodeToString(rnd[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("testkit: create bucket %s on versitygw at %s: %v\nserver log:\n%s", bucket, srv.endpoint, err, srv.log.String())
	}
	q := url.Values{}
	q.Set("endpoint", srv.endpoint)
	q.Set("region", S3Region)
	q.Set("path_style", "true")
	q.Set("access_key", srv.accessKey)
	q.Set("secret_key", srv.secretKey)
	return (&url.URL{Scheme: "s3", Host: bucket, RawQuery: q.Encode()}).String()
}

// s3Server is one running versitygw process.
type s3Server struct {
	cmd       *exec.Cmd
	exited    chan struct{} // closed when the process has ended
	dir       string        // backend root, one subdirectory per bucket
	endpoint  string        // http://127.0.0.1:PORT
	accessKey string
	secretKey string
	log       *tailBuffer
}

var (
	s3Mu     sync.Mutex
	s3Shared *s3Server
	s3Refs   int
)

// acquireS3 returns the shared server, starting it for the first holder.
func acquireS3(t testing.TB) *s3Server {
	t.Helper()
	s3Mu.Lock()
	defer s3Mu.Unlock()
	if s3Shared == nil {
		bin := findVersitygw(t)
		srv, err := startVersitygw(bin)
		if err != nil {
			t.Fatalf("testkit: start versitygw (%s): %v", bin, err)
		}
		s3Shared = srv
	}
	s3Refs++
	return s3Shared
}

// releaseS3 stops the shared server when its last holder is done.
func releaseS3() {
	s3Mu.Lock()
	defer s3Mu.Unlock()
	s3Refs--
	if s3Refs > 0 || s3Shared == nil {
		return
	}
	s3Shared.stop()
	s3Shared = nil
}

// findVersitygw returns the binary's path, or skips (fails under CI).
func findVersitygw(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(versitygwEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testkit: %s=%s: %v", versitygwEnv, p, err)
		}
		return p
	}
	dir, err := os.Getwd()
	if err == nil {
		for {
			p := filepath.Join(dir, ".cache", "bin", "versitygw")
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	msg := "testkit: versitygw not found (no " + versitygwEnv + " and no .cache/bin/versitygw above the working directory); " +
		"build it with: GOBIN=$PWD/.cache/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startVersitygw starts the server on a free loopback port and waits until
// its health endpoint answers. A port taken between choosing and binding
// is retried.
func startVersitygw(bin string) (*s3Server, error) {
	var lastErr error
	for range 3 {
		srv, err := tryStartVersitygw(bin)
		if err == nil {
			return srv, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func tryStartVersitygw(bin string) (*s3Server, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lectern-s3-*")
	if err != nil {
		return nil, err
	}
	srv := &s3Server{
		exited:    make(chan struct{}),
		dir:       dir,
		endpoint:  "http://" + addr,
		accessKey: "LECTERNTEST" + randomHex(5),
		secretKey: randomHex(20),
		log:       &tailBuffer{max: 64 << 10},
	}
	srv.cmd = exec.Command(bin,
		"--port", addr,
		"--access", srv.accessKey,
		"--secret", srv.secretKey,
		"--region", S3Region,
		"--health", "/health",
		"--quiet",
		"posix", dir,
	)
	srv.cmd.Stdout = srv.log
	srv.cmd.Stderr = srv.log
	srv.cmd.WaitDelay = 5 * time.Second
	if err := srv.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	go func() {
		_ = srv.cmd.Wait()
		close(srv.exited)
	}()
	if err := srv.waitHealthy(20 * time.Second); err != nil {
		srv.stop()
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, srv.log.String())
	}
	return srv, nil
}

func (srv *s3Server) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-srv.exited:
			return errors.New("versitygw exited during start-up")
		default:
		}
		resp, err := hc.Get(srv.endpoint + "/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw at %s not healthy after %s (last error: %v)", srv.endpoint, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills the process (a test server holds nothing worth a graceful
// shutdown) and removes its files.
func (srv *s3Server) stop() {
	if srv.cmd.Process != nil {
		_ = srv.cmd.Process.Kill()
		<-srv.exited
	}
	_ = os.RemoveAll(srv.dir)
}

// client returns an S3 client with the root credentials.
func (srv *s3Server) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       S3Region,
		BaseEndpoint: aws.String(srv.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.accessKey, srv.secretKey, ""),
	})
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last max bytes written to it, for failure messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

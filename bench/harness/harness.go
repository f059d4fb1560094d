// Package harness runs a real lectern binary for benchmarks: it builds
// it, starts `serve` on the embedded default in a temporary directory,
// creates an account and an API token, and uploads recordings through
// tus exactly as a client would.
package harness

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Site is a running lectern.
type Site struct {
	Dir    string // working directory; data under Dir/lectern-data
	Base   string // http://127.0.0.1:PORT
	Token  string // API token of an admin
	Folder string // a folder to upload into
	cmd    *exec.Cmd
	bin    string
}

// Start builds lectern and serves it; prefix (e.g. "taskset -c 0") pins it.
func Start(ctx context.Context, prefix []string) (*Site, error) {
	dir, err := os.MkdirTemp("", "lectern-bench-")
	if err != nil {
		return nil, err
	}
	s := &Site{Dir: dir, bin: filepath.Join(dir, "lectern")}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", s.bin, "./cmd/lectern")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("benchmark-password"), 0o600); err != nil {
		return nil, err
	}
	if out, err := s.run(ctx, "admin", "create-user", "--email", "bench@example.ac.uk", "--password-file", pw, "--admin"); err != nil {
		return nil, fmt.Errorf("create-user: %v\n%s", err, out)
	}
	out, err := s.run(ctx, "admin", "create-token", "--email", "bench@example.ac.uk")
	if err != nil {
		return nil, fmt.Errorf("create-token: %v\n%s", err, out)
	}
	s.Token = strings.TrimSpace(out)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s.Base = "http://" + addr
	argv := append(append([]string{}, prefix...), s.bin, "serve", "--listen", addr, "--log-level", "warn")
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	OnExit(s.Stop)
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(s.Base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var f struct{ ID string }
	if err := s.JSON(ctx, "POST", "/api/v1/folders", map[string]string{"name": "Benchmarks"}, &f); err != nil {
		return nil, err
	}
	s.Folder = f.ID
	return s, nil
}

func (s *Site) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir = s.Dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Stop ends the server and removes its directory.
func (s *Site) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		s.cmd.Wait()
	}
	os.RemoveAll(s.Dir)
}

// JSON calls the API with the admin token.
func (s *Site) JSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, s.Base+path, body)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Upload sends a file through tus in one PATCH and returns the session id.
func (s *Site) Upload(ctx context.Context, path, title string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	meta := func(k, v string) string { return k + " " + base64.StdEncoding.EncodeToString([]byte(v)) }
	req, _ := http.NewRequestWithContext(ctx, "POST", s.Base+"/api/v1/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
	req.Header.Set("Upload-Metadata", strings.Join([]string{meta("filename", filepath.Base(path)), meta("title", title), meta("folder_id", s.Folder)}, ","))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("tus create: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if strings.HasPrefix(loc, "/") {
		loc = s.Base + loc
	}
	id := resp.Header.Get("Lectern-Session-Id")
	req, _ = http.NewRequestWithContext(ctx, "PATCH", loc, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return "", fmt.Errorf("tus patch: %d", resp.StatusCode)
	}
	return id, nil
}

// WaitReady polls the session until it is ready (or failed).
func (s *Site) WaitReady(ctx context.Context, id string) error {
	for {
		var sess struct{ State string }
		if err := s.JSON(ctx, "GET", "/api/v1/sessions/"+id, nil, &sess); err != nil {
			return err
		}
		switch sess.State {
		case "ready":
			return nil
		case "failed":
			return fmt.Errorf("session %s failed", id)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Playback returns the session's HLS URL (absolute).
func (s *Site) Playback(ctx context.Context, id string) (string, error) {
	var pb struct {
		HLSURL string `json:"hls_url"`
	}
	if err := s.JSON(ctx, "GET", "/api/v1/sessions/"+id+"/playback", nil, &pb); err != nil {
		return "", err
	}
	if strings.HasPrefix(pb.HLSURL, "/") {
		return s.Base + pb.HLSURL, nil
	}
	return pb.HLSURL, nil
}

var cleanups []func()

// OnExit registers f to run before Fatalf exits, so that servers started
// by a failed benchmark do not outlive it.
func OnExit(f func()) { cleanups = append(cleanups, f) }

// Fatalf runs the registered clean-ups and exits.
func Fatalf(format string, args ...any) {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	log.Fatalf(format, args...)
}

// Must stops the benchmark on an error.
func Must(err error) {
	if err != nil {
		Fatalf("%v", err)
	}
}

// Command delivery measures authorised HLS delivery: requests per second
// for a segment and for a variant playlist served by lectern under a
// playback token, against nginx serving the same files statically. Both
// servers are pinned to core 0 and wrk to core 1 (taskset), and the
// figure is the median of 3 alternating runs.
//
//	go run ./bench/delivery [-duration 8s] [-connections 32]
//
// Needs nginx, wrk and taskset (apt-get install nginx-light wrk).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern/bench/harness"
	"github.com/lectern-edu/lectern/bench/lecture"
)

func main() {
	duration := flag.Duration("duration", 8*time.Second, "length of each wrk run")
	conns := flag.Int("connections", 32, "wrk connections")
	flag.Parse()
	ctx := context.Background()
	for _, tool := range []string{"nginx", "wrk", "taskset"} {
		if _, err := exec.LookPath(tool); err != nil {
			harness.Fatalf("%s is missing: apt-get install nginx-light wrk util-linux", tool)
		}
	}

	site, err := harness.Start(ctx, []string{"taskset", "-c", "0"})
	harness.Must(err)
	defer site.Stop()
	src := filepath.Join(site.Dir, "clip.mp4")
	log.Printf("generating and uploading a 20 s clip ...")
	harness.Must(lecture.Make(ctx, site.Dir, src, lecture.Spec{Seconds: 20, Width: 1280, Height: 720, FPS: 30}))
	id, err := site.Upload(ctx, src, "Delivery benchmark")
	harness.Must(err)
	harness.Must(site.WaitReady(ctx, id))
	master, err := site.Playback(ctx, id)
	harness.Must(err)
	base := master[:strings.LastIndex(master, "/")+1]
	variant := firstURI(get(master), ".m3u8")
	segment := firstURI(get(base+variant), ".m4s")
	rendition := variant[:strings.LastIndex(variant, "/")+1]

	// nginx serves the very files the blob store holds for this version.
	versions, _ := filepath.Glob(filepath.Join(site.Dir, "lectern-data", "blobs", "sessions", id, "hls", "v*"))
	if len(versions) == 0 {
		harness.Fatalf("no rendition directory found under lectern-data/blobs")
	}
	sort.Strings(versions)
	root := versions[len(versions)-1]
	nginxURL, stop := startNginx(root)
	defer stop()

	type target struct{ name, lectern, nginx string }
	targets := []target{
		{"segment " + segment, base + rendition + segment, nginxURL + rendition + segment},
		{"playlist " + variant, base + variant, nginxURL + variant},
	}
	fmt.Printf("\nDelivery: wrk -t1 -c%d -d%s, servers on core 0, wrk on core 1, median of 3 alternating runs\n\n", *conns, *duration)
	fmt.Printf("%-34s %14s %14s %8s\n", "file", "lectern req/s", "nginx req/s", "ratio")
	for _, t := range targets {
		var l, n []float64
		for i := 0; i < 3; i++ {
			l = append(l, wrk(t.lectern, *conns, *duration))
			n = append(n, wrk(t.nginx, *conns, *duration))
		}
		lm, nm := median(l), median(n)
		fmt.Printf("%-34s %14.0f %14.0f %7.2fx\n", t.name, lm, nm, lm/nm)
	}
	fmt.Println("\ntarget: segments >= 0.9x nginx")
}

func get(u string) string {
	resp, err := http.Get(u)
	harness.Must(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		harness.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return string(b)
}

// firstURI returns the first non-comment line of a playlist ending in ext.
func firstURI(playlist, ext string) string {
	sc := bufio.NewScanner(strings.NewReader(playlist))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") && strings.HasSuffix(l, ext) {
			return l
		}
	}
	harness.Fatalf("no %s entry in playlist:\n%s", ext, playlist)
	return ""
}

func startNginx(root string) (string, func()) {
	dir, err := os.MkdirTemp("", "lectern-bench-nginx-")
	harness.Must(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	harness.Must(err)
	addr := ln.Addr().String()
	ln.Close()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // the blob files are readable by their owner only
	}
	conf := fmt.Sprintf(user+`
worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; }
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s; uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server { listen %[2]s; root %[3]s; }
}
`, dir, addr, root)
	path := filepath.Join(dir, "nginx.conf")
	harness.Must(os.WriteFile(path, []byte(conf), 0o644))
	cmd := exec.Command("taskset", "-c", "0", "nginx", "-c", path, "-p", dir)
	cmd.Stderr = os.Stderr
	harness.Must(cmd.Start())
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop := func() { cmd.Process.Signal(os.Interrupt); cmd.Wait(); os.RemoveAll(dir) }
	harness.OnExit(stop)
	return "http://" + addr + "/", stop
}

var reqs = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

func wrk(url string, conns int, d time.Duration) float64 {
	out, err := exec.Command("taskset", "-c", "1", "wrk", "-t1", "-c"+strconv.Itoa(conns), "-d"+d.String(), url).CombinedOutput()
	if err != nil {
		harness.Fatalf("wrk %s: %v\n%s", url, err, out)
	}
	if strings.Contains(string(out), "Non-2xx") {
		harness.Fatalf("wrk %s got errors:\n%s", url, out)
	}
	m := reqs.FindSubmatch(out)
	if m == nil {
		harness.Fatalf("wrk output:\n%s", out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

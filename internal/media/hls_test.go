package media_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// playlist is what the tests read from an HLS playlist: a small parser of
// the tags ffmpeg writes, enough to check its output.
type playlist struct {
	media    []map[string]string // EXT-X-MEDIA attributes
	variants []variant           // EXT-X-STREAM-INF and URI
	mapURI   string              // EXT-X-MAP URI
	segments []segment
	ended    bool
}

type variant struct {
	attrs map[string]string
	uri   string
}

type segment struct {
	duration float64
	uri      string
}

func readPlaylist(t *testing.T, path string) playlist {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var p playlist
	var pendingInf map[string]string
	var pendingDur float64 = -1
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		line := strings.TrimSpace(sc.Text())
		if first && line != "#EXTM3U" {
			t.Fatalf("%s does not start with #EXTM3U", path)
		}
		tag, value, _ := strings.Cut(line, ":")
		switch {
		case line == "":
		case tag == "#EXT-X-MEDIA":
			p.media = append(p.media, parseAttrs(value))
		case tag == "#EXT-X-STREAM-INF":
			pendingInf = parseAttrs(value)
		case tag == "#EXT-X-MAP":
			p.mapURI = parseAttrs(value)["URI"]
		case tag == "#EXTINF":
			d, err := strconv.ParseFloat(strings.TrimSuffix(value, ","), 64)
			if err != nil {
				t.Fatalf("%s: bad EXTINF %q", path, line)
			}
			pendingDur = d
		case line == "#EXT-X-ENDLIST":
			p.ended = true
		case strings.HasPrefix(line, "#"):
		case pendingInf != nil:
			p.variants = append(p.variants, variant{pendingInf, line})
			pendingInf = nil
		case pendingDur >= 0:
			p.segments = append(p.segments, segment{pendingDur, line})
			pendingDur = -1
		default:
			t.Fatalf("%s: URI %q without a tag before it", path, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return p
}

// parseAttrs reads an attribute list: KEY=VALUE,KEY="quoted, value".
func parseAttrs(s string) map[string]string {
	attrs := map[string]string{}
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			value, rest = rest[1:1+end], rest[2+end:]
		} else {
			value, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
		}
		attrs[key] = value
		s = strings.TrimPrefix(rest, ",")
	}
	return attrs
}

func (p playlist) duration() float64 {
	var d float64
	for _, s := range p.segments {
		d += s.duration
	}
	return d
}

func mustExist(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if fi.Size() == 0 {
		t.Errorf("%s is empty", filepath.Base(path))
	}
}

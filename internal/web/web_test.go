package web

import (
	"strings"
	"testing"
)

func TestTemplatesAndAssetsLoad(t *testing.T) {
	t.Parallel()
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "videos", "forgot", "reset", "admin_settings", "admin_users", "admin_outbox", "admin_mail", "error",
		"folders", "folder", "session", "share", "approvals", "audit", "recycle_bin", "upload", "session_stats"} {
		if pages[name] == nil {
			t.Errorf("no page %q", name)
		}
	}
	css, err := a.url("lectern.css")
	if err != nil || !strings.HasPrefix(css, "/static/lectern.") || !strings.HasSuffix(css, ".css") {
		t.Errorf("static URL %q, %v", css, err)
	}
	if _, err := a.url("missing.css"); err == nil {
		t.Error("a missing asset has a URL")
	}
}

func TestLocalPathAcceptsOnlyPathsOnThisSite(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"/videos":                       "/videos",
		"/admin/users?page=2":           "/admin/users?page=2",
		"/a#frag":                       "/a#frag",
		"":                              "",
		"videos":                        "",
		"//evil.example":                "",
		"///evil.example":               "",
		`/\evil.example`:                "",
		"/\t/evil.example":              "",
		"/\n/evil.example":              "",
		"https://evil.example":          "",
		"javascript:alert(1)":           "",
		"/" + strings.Repeat("a", 3000): "",
	}
	for in, want := range cases {
		if got := LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWaitWords(t *testing.T) {
	t.Parallel()
	cases := map[int]string{0: "1 second", 1: "1 second", 45: "45 seconds", 60: "1 minute", 61: "2 minutes", 900: "15 minutes", 7200: "2 hours", 7201: "3 hours"}
	for in, want := range cases {
		if got := waitWords(in); got != want {
			t.Errorf("waitWords(%d) = %q, want %q", in, got, want)
		}
	}
}

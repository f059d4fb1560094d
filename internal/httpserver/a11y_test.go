package httpserver_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// checkAccessible checks the basics every page must have: lang="en", a
// title, one h1, a skip link to the main landmark, header/main/footer
// landmarks, a label for every visible form control, unique ids, a CSRF
// field in every POST form, and no inline scripts or styles (the CSP
// forbids them; scripts are files under /static/).
func checkAccessible(t *testing.T, what, body string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: parse HTML: %v", what, err)
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var (
		h1s, titles                  int
		title                        string
		landmarks                    = map[atom.Atom]int{}
		ids                          = map[string]int{}
		labelFor                     = map[string]bool{}
		controls                     []*html.Node
		skipTarget, mainID, htmlLang string
	)
	var walk func(n *html.Node, inPostForm *bool)
	walk = func(n *html.Node, postForm *bool) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				ids[id]++
			}
			if attr(n, "style") != "" {
				fail("inline style attribute on <%s>", n.Data)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					fail("inline event handler %s on <%s>", a.Key, n.Data)
				}
			}
			switch n.DataAtom {
			case atom.Html:
				htmlLang = attr(n, "lang")
			case atom.Title:
				if n.Namespace != "" {
					break // an SVG picture's accessible name, not the page's
				}
				titles++
				title = strings.TrimSpace(text(n))
			case atom.H1:
				h1s++
			case atom.Header, atom.Main, atom.Footer, atom.Nav:
				landmarks[n.DataAtom]++
				if n.DataAtom == atom.Main {
					mainID = attr(n, "id")
				}
			case atom.Style:
				fail("<%s> element (no inline scripts or styles allowed)", n.Data)
			case atom.Script:
				// Scripts are files from /static/, never inline code.
				if !strings.HasPrefix(attr(n, "src"), "/static/") || strings.TrimSpace(text(n)) != "" {
					fail("<script> that is not a file under /static/ (no inline scripts allowed)")
				}
			case atom.A:
				if skipTarget == "" && strings.HasPrefix(attr(n, "href"), "#") {
					skipTarget = strings.TrimPrefix(attr(n, "href"), "#")
				}
			case atom.Label:
				if f := attr(n, "for"); f != "" {
					labelFor[f] = true
				}
			case atom.Input, atom.Select, atom.Textarea:
				if typ := attr(n, "type"); typ != "hidden" && typ != "submit" && typ != "button" {
					controls = append(controls, n)
				}
				if attr(n, "name") == "csrf_token" && postForm != nil {
					*postForm = true
				}
			case atom.Form:
				if strings.EqualFold(attr(n, "method"), "post") {
					has := false
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						walk(c, &has)
					}
					if !has {
						fail("POST form to %q has no csrf_token field", attr(n, "action"))
					}
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, postForm)
		}
	}
	walk(doc, nil)

	if htmlLang != "en" {
		fail(`<html lang=%q>, want "en"`, htmlLang)
	}
	if titles != 1 || title == "" {
		fail("want one non-empty <title>, have %d (%q)", titles, title)
	}
	if h1s != 1 {
		fail("want exactly one <h1>, have %d", h1s)
	}
	for _, lm := range []atom.Atom{atom.Header, atom.Main, atom.Footer} {
		if landmarks[lm] != 1 {
			fail("want one <%s> landmark, have %d", lm, landmarks[lm])
		}
	}
	if mainID == "" || skipTarget != mainID {
		fail("the first in-page link (skip link) goes to #%s, main has id %q", skipTarget, mainID)
	}
	for id, n := range ids {
		if n > 1 {
			fail("id %q used %d times", id, n)
		}
	}
	for _, c := range controls {
		id := attr(c, "id")
		if (id == "" || !labelFor[id]) && attr(c, "aria-label") == "" {
			fail("<%s name=%q> has no label", c.Data, attr(c, "name"))
		}
	}
	if len(problems) > 0 {
		t.Errorf("%s: accessibility problems:\n  %s\n%s", what, strings.Join(problems, "\n  "), body)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

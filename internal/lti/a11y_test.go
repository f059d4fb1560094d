package lti_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkPage checks the basics every Lectern page has: lang="en", a title,
// one h1, a skip link to the main landmark, a label for every visible
// control, unique ids, and no inline script or style (the CSP forbids
// them).
func checkPage(t *testing.T, what, body string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var h1, titles int
	var lang, mainID, skip string
	ids, labels := map[string]int{}, map[string]bool{}
	var controls []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			get := func(k string) string {
				for _, a := range n.Attr {
					if a.Key == k {
						return a.Val
					}
				}
				return ""
			}
			if id := get("id"); id != "" {
				ids[id]++
			}
			if get("style") != "" {
				t.Errorf("%s: inline style on <%s>", what, n.Data)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: inline handler %s", what, a.Key)
				}
			}
			switch n.Data {
			case "html":
				lang = get("lang")
			case "title":
				titles++
			case "h1":
				h1++
			case "main":
				mainID = get("id")
			case "a":
				if skip == "" && strings.HasPrefix(get("href"), "#") {
					skip = strings.TrimPrefix(get("href"), "#")
				}
			case "label":
				labels[get("for")] = true
			case "script":
				if get("src") == "" {
					t.Errorf("%s: inline script", what)
				}
			case "style":
				t.Errorf("%s: inline style element", what)
			case "input", "select", "textarea":
				if typ := get("type"); typ != "hidden" && typ != "submit" && typ != "button" {
					controls = append(controls, get("id"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	switch {
	case lang != "en":
		t.Errorf("%s: lang %q", what, lang)
	case titles != 1 || h1 != 1:
		t.Errorf("%s: %d titles, %d h1", what, titles, h1)
	case mainID == "" || skip != mainID:
		t.Errorf("%s: skip link %q, main %q", what, skip, mainID)
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q used %d times", what, id, n)
		}
	}
	for _, id := range controls {
		if id == "" || !labels[id] {
			t.Errorf("%s: a control (id %q) has no label", what, id)
		}
	}
}

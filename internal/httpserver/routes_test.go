package httpserver_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/testkit"
)

// apiRoute is one pattern of the route table under /api/v1/.
type apiRoute struct {
	Method  string // "" when the pattern has none (it answers every method)
	Path    string // as in the pattern, e.g. /api/v1/folders/{id}
	Pattern string // the whole pattern, e.g. "GET /api/v1/folders/{id}"
}

// apiRoutes reads the route table the way the mux gets it: every string
// pattern passed to Handle or HandleFunc in this package's non-test files
// (routes.go and the routes_*.go files it calls). A route added anywhere
// in the package is found here, so the tests that walk this list cover it
// without being told.
func apiRoutes(t *testing.T) []apiRoute {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	testkit.Must(t, err, "read package directory")
	var out []apiRoute
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		testkit.Must(t, err, "parse %s", name)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			pattern, err := strconv.Unquote(lit.Value)
			testkit.Must(t, err, "unquote %s", lit.Value)
			method, path, found := strings.Cut(pattern, " ")
			if !found {
				method, path = "", pattern
			}
			if strings.HasPrefix(path, "/api/v1/") && !seen[pattern] {
				seen[pattern] = true
				out = append(out, apiRoute{Method: method, Path: path, Pattern: pattern})
			}
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	if len(out) < 3 {
		t.Fatalf("found only %d API routes: the route table's shape has changed and this test no longer reads it", len(out))
	}
	return out
}

// openAPIOperations reads the embedded OpenAPI document.
type openAPIOperation struct {
	Security   *[]map[string][]string `json:"security"`
	Parameters []struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses map[string]json.RawMessage `json:"responses"`
}

type openAPIDoc struct {
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Parameters map[string]struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
	} `json:"components"`
}

func readOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	raw, err := os.ReadFile("../api/openapi.json")
	testkit.Must(t, err, "read openapi.json")
	var doc openAPIDoc
	testkit.Must(t, json.Unmarshal(raw, &doc), "decode openapi.json")
	return doc
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)(?:\.\.\.)?\}`)

// docPath turns a mux path into an OpenAPI path: {name...} → {name};
// {$} (end of path) is dropped.
func docPath(muxPath string) string {
	p := strings.ReplaceAll(muxPath, "{$}", "")
	return pathParam.ReplaceAllString(p, "{$1}")
}

// TestOpenAPIDocumentMatchesTheRouteTable fails when a route under
// /api/v1/ is not documented, when the document describes a call that no
// route serves, or when an operation's path parameters or error answers
// do not match what the route does.
func TestOpenAPIDocumentMatchesTheRouteTable(t *testing.T) {
	t.Parallel()
	routes := apiRoutes(t)
	doc := readOpenAPI(t)

	served := map[string]bool{} // "get /api/v1/x"
	anyMethod := map[string]bool{}
	for _, r := range routes {
		p := docPath(r.Path)
		if r.Method == "" {
			anyMethod[p] = true
			if len(doc.Paths[p]) == 0 {
				t.Errorf("route %q is not described in openapi.json (no path %s)", r.Pattern, p)
			}
			continue
		}
		key := strings.ToLower(r.Method) + " " + p
		served[key] = true
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %q is not described in openapi.json (no %s operation on %s)", r.Pattern, r.Method, p)
		}
	}
	for p, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			if !served[method+" "+p] && !anyMethod[p] {
				t.Errorf("openapi.json describes %s %s, which no route serves", strings.ToUpper(method), p)
				continue
			}
			checkOperation(t, doc, strings.ToUpper(method)+" "+p, p, op)
		}
	}
}

func checkOperation(t *testing.T, doc openAPIDoc, what, path string, op openAPIOperation) {
	t.Helper()
	declared := map[string]bool{}
	for _, prm := range op.Parameters {
		name, in := prm.Name, prm.In
		if prm.Ref != "" {
			c := doc.Components.Parameters[strings.TrimPrefix(prm.Ref, "#/components/parameters/")]
			name, in = c.Name, c.In
		}
		if in == "path" {
			declared[name] = true
		}
	}
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		if !declared[m[1]] {
			t.Errorf("%s: path parameter %q is not declared", what, m[1])
		}
		delete(declared, m[1])
	}
	for name := range declared {
		t.Errorf("%s: declares path parameter %q that the path lacks", what, name)
	}
	public := op.Security != nil && len(*op.Security) == 0
	if !public && op.Responses["401"] == nil {
		t.Errorf("%s: does not document 401", what)
	}
	if strings.Contains(path, "{") && !public {
		for _, code := range []string{"403", "404"} {
			if op.Responses[code] == nil {
				t.Errorf("%s: does not document %s", what, code)
			}
		}
	}
	ok := false
	for code := range op.Responses {
		ok = ok || strings.HasPrefix(code, "2")
	}
	if !ok {
		t.Errorf("%s: documents no success answer", what)
	}
}

package api

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/lectern-edu/lectern"
)

func TestOpenAPIDocumentIsValidAndGetsTheBaseURL(t *testing.T) {
	t.Parallel()
	out, err := prepareOpenAPI(openAPIDoc, "https://lectern.example.edu/")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
		Paths   map[string]any         `json:"paths"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://lectern.example.edu" {
		t.Errorf("servers %+v", doc.Servers)
	}
	for _, p := range []string{"/api/v1/me", "/api/v1/openapi.json"} {
		if doc.Paths[p] == nil {
			t.Errorf("%s is not documented", p)
		}
	}
}

func TestPrepareOpenAPIRejectsBrokenDocuments(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"not JSON":      `{`,
		"OpenAPI 3.0":   `{"openapi":"3.0.3","paths":{}}`,
		"without paths": `{"openapi":"3.1.0"}`,
	} {
		if _, err := prepareOpenAPI([]byte(raw), ""); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestErrorCodesInTheDocumentMatchLectern(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []lectern.ErrorCode `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[lectern.ErrorCode]bool{}
	for _, c := range doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum {
		got[c] = true
	}
	for _, c := range []lectern.ErrorCode{lectern.EInvalid, lectern.EUnauthorized, lectern.EForbidden, lectern.ENotFound,
		lectern.EConflict, lectern.ETooLarge, lectern.ETooMany, lectern.EUnavailable, lectern.EInternal} {
		if !got[c] {
			t.Errorf("error code %q is not in the document's enum", c)
		}
	}
}

func TestWriteErrorHasTheContractShape(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteError(rec, 404, lectern.ENotFound, `Folder "<x>" not found`)
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Body.String() != `{"error":{"code":"not_found","message":"Folder \"<x>\" not found"}}`+"\n" {
		t.Fatalf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

// Package api is Lectern's JSON API, version 1, under /api/v1/. Handlers
// return errors instead of writing them: httpserver's one error renderer
// turns them into the JSON error shape that WriteError writes. The OpenAPI
// document describing every call is embedded and served as is, with the
// site's base URL filled in.
package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/identity"
)

//go:embed openapi.json
var openAPIDoc []byte

// Config is what the API needs. Identity, Access and Catalog are
// required.
type Config struct {
	Identity *identity.Service
	Access   *access.Service
	Catalog  *catalog.Service
	BaseURL  string // put into the OpenAPI document's servers list
}

// API holds the JSON handlers.
type API struct {
	cfg     Config
	openAPI []byte
}

// New checks and prepares the OpenAPI document; an error is a bug in it.
func New(cfg Config) (*API, error) {
	if cfg.Identity == nil || cfg.Access == nil || cfg.Catalog == nil {
		return nil, fmt.Errorf("api: Identity, Access and Catalog are required")
	}
	doc, err := prepareOpenAPI(openAPIDoc, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	return &API{cfg: cfg, openAPI: doc}, nil
}

// prepareOpenAPI validates the embedded document's basic shape and sets
// its servers to the site's base URL.
func prepareOpenAPI(raw []byte, baseURL string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("api: openapi.json is not valid JSON: %w", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("api: openapi.json must be OpenAPI 3.1, has %q", v)
	}
	if _, ok := doc["paths"].(map[string]any); !ok {
		return nil, fmt.Errorf("api: openapi.json has no paths")
	}
	if baseURL != "" {
		doc["servers"] = []any{map[string]any{"url": strings.TrimRight(baseURL, "/")}}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// User is how the API shows an account. The first four fields are a
// contract scripts rely on (DESIGN §6).
type User struct {
	ID      string `json:"id"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	IsAdmin bool   `json:"is_admin"`
}

// Me serves GET /api/v1/me: the caller.
func (a *API) Me(w http.ResponseWriter, r *http.Request) error {
	u, ok := request.User(r.Context())
	if !ok {
		return lectern.Errorf(lectern.EUnauthorized, "Send an API token (Authorization: Bearer <token>) or sign in.")
	}
	return WriteJSON(w, http.StatusOK, User{ID: u.ID, Email: u.Email, Name: u.Name, IsAdmin: u.IsAdmin})
}

// OpenAPI serves GET /api/v1/openapi.json.
func (a *API) OpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(a.openAPI)))
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.openAPI)
	return nil
}

// WriteJSON writes v as the response body with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// ErrorBody is the JSON shape of every API error (DESIGN §6):
// {"error": {"code": "not_found", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody. Code is one of lectern's error
// codes; Message is safe to show and, for bad input, names the field.
type ErrorDetail struct {
	Code    lectern.ErrorCode `json:"code"`
	Message string            `json:"message"`
}

// WriteError writes the JSON error body. Only httpserver's error renderer
// calls it, after choosing the status and the safe message.
func WriteError(w http.ResponseWriter, status int, code lectern.ErrorCode, message string) {
	_ = WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

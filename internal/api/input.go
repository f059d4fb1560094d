package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// maxBodyBytes bounds a JSON request body; the API's bodies are small.
const maxBodyBytes = 1 << 20

// caller returns the authenticated user and their principal. httpserver
// refuses anonymous calls to every route that uses it, so the error is a
// safety net.
func caller(r *http.Request) (lectern.User, lectern.Principal, error) {
	u, ok := request.User(r.Context())
	if !ok {
		return lectern.User{}, lectern.Principal{}, lectern.Errorf(lectern.EUnauthorized, "Send an API token (Authorization: Bearer <token>) or sign in.")
	}
	return u, lectern.PrincipalOf(u), nil
}

// decodeBody reads a JSON object into v. An empty body is an empty
// object. Unknown fields, values of the wrong type and anything after the
// object are EInvalid naming the field (or "body"); a body over
// maxBodyBytes is ETooLarge.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return lectern.Errorf(lectern.ETooLarge, "body: at most %d bytes", maxBodyBytes)
		}
		return &lectern.Error{Code: lectern.EInvalid, Message: "body: could not be read", Err: err}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if dec.More() {
		return lectern.Errorf(lectern.EInvalid, "body: must be one JSON object")
	}
	return nil
}

func bodyError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return lectern.Errorf(lectern.EInvalid, "body: not valid JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return lectern.Errorf(lectern.EInvalid, "body: must be a JSON object")
		}
		return lectern.Errorf(lectern.EInvalid, "%s: must be %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return lectern.Errorf(lectern.EInvalid, "%s: unknown field", strings.Trim(name, `"`))
	}
	return &lectern.Error{Code: lectern.EInvalid, Message: "body: not a valid request", Err: err}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "float64":
		return "a number"
	case "slice":
		return "an array"
	}
	return "an object"
}

// optional is a JSON field that may be absent, null, or a value; unlike a
// pointer it tells absent from null (moving to the top level is
// "parent_id": null).
type optional[T any] struct {
	Set   bool // the field was in the body
	Null  bool // it was null
	Value T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// parseTime reads an RFC 3339 time for field; "" is the zero time.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, lectern.Errorf(lectern.EInvalid, "%s: must be an RFC 3339 time such as 2026-09-30T23:59:59Z", field)
	}
	return t.UTC(), nil
}

// pageParams reads ?limit= and ?cursor=. The catalog and the audit log
// check the cursor (EInvalid naming "cursor") and clamp the limit.
func pageParams(r *http.Request) (int, string, error) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return 0, "", lectern.Errorf(lectern.EInvalid, "limit: must be a whole number from 1 to 500")
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

// visible is the API's answer to "may the caller see this at all": nil
// when they may view r; ENotFound when r does not exist; EForbidden,
// saying nothing about r, when it exists but they may not view it. The
// API answers 403 rather than 404 for an existing resource the caller
// cannot see (see the OpenAPI description); ids are random, so this says
// no more than that an id someone already holds is real. It decides
// without side effects: the service call that follows authorizes (and
// audits an admin's use) once.
func (a *API) visible(ctx context.Context, p lectern.Principal, r lectern.Resource) error {
	d, err := a.cfg.Access.Decide(ctx, p, lectern.ActionView, r)
	if err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return lectern.Errorf(lectern.ENotFound, "%s not found", r.Type)
		}
		return err
	}
	if !d.Allowed {
		return forbidden(r.Type)
	}
	return nil
}

func forbidden(t lectern.ResourceType) error {
	return lectern.Errorf(lectern.EForbidden, "You do not have access to this %s.", t)
}

// asForbidden turns a service's ENotFound about r into EForbidden when r
// exists (see visible).
func (a *API) asForbidden(ctx context.Context, err error, r lectern.Resource) error {
	if lectern.ErrorCodeOf(err) != lectern.ENotFound {
		return err
	}
	ok, xerr := a.cfg.Access.Exists(ctx, r)
	if xerr != nil {
		return xerr
	}
	if ok {
		return forbidden(r.Type)
	}
	return err
}

// parentFolder checks a folder named in a body (parent_id, folder_id): a
// missing one is EInvalid naming field; one the caller cannot see is
// EForbidden.
func (a *API) parentFolder(ctx context.Context, p lectern.Principal, field, id string) error {
	err := a.visible(ctx, p, lectern.FolderResource(id))
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.Errorf(lectern.EInvalid, "%s: no such folder", field)
	}
	return err
}

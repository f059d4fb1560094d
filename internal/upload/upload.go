// Package upload receives recordings over tus 1.0 resumable uploads
// (DESIGN §4, §6) at /api/v1/uploads/, with tusd's protocol handler over
// Lectern's own blob store (see store.go for the layout) and database
// locks (locker.go), so that any serve node can take any request.
//
// Creating an upload creates its session: the caller must be allowed to
// add to the folder named in the metadata (the catalog's rule: edit on the
// folder), which is checked before any byte is accepted, and the session
// appears in its folder at once, in state uploading. The upload's id is
// the session's id. When the last byte arrives the session becomes queued
// and the media pipeline is started; only the uploader may resume, query
// or cancel an upload.
package upload

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Catalog is what uploads need from the catalog service.
type Catalog interface {
	CreateSession(ctx context.Context, actor lectern.Principal, nf catalog.NewSession, clientAddr string) (lectern.Session, error)
	SessionByID(ctx context.Context, id string) (lectern.Session, error)
	SetProcessing(ctx context.Context, id string, to lectern.Processing, message string) (lectern.Session, error)
	DeleteSession(ctx context.Context, actor lectern.Principal, id, clientAddr string) error
}

// Pipeline starts processing a session whose upload is complete. Starting
// one that is already started does nothing.
type Pipeline interface {
	Start(ctx context.Context, sessionID string) error
}

// DefaultMaxSize is the largest upload accepted when Options.MaxSize is 0.
const DefaultMaxSize = 50 << 30

// Options configures a Service; zero fields take defaults.
type Options struct {
	// BasePath is the tus endpoint as clients see it, for the Location of
	// new uploads: best an absolute URL (the site's base URL followed by
	// /api/v1/uploads/), so that it is right behind a reverse proxy.
	// Default "/api/v1/uploads/".
	BasePath string
	MaxSize  int64 // bytes; default DefaultMaxSize
	PartSize int64 // largest part object; default DefaultPartSize
	// CheckQuota, when set, is asked before an upload is created whether
	// the user may add size bytes; an error refuses the upload (ETooLarge
	// for over quota).
	CheckQuota func(ctx context.Context, u lectern.User, size int64) error
	Logger     *slog.Logger
	Now        func() time.Time
}

// Service is the tus endpoint and what finishing an upload sets off.
type Service struct {
	db       *sqlstore.DB
	store    *dataStore
	catalog  Catalog
	pipeline Pipeline
	tus      *handler.UnroutedHandler
	h        http.Handler
	quota    func(ctx context.Context, u lectern.User, size int64) error
	log      *slog.Logger
	now      func() time.Time
}

// New builds the upload service.
func New(db *sqlstore.DB, blobs blob.Store, cat Catalog, pipe Pipeline, opts Options) (*Service, error) {
	if opts.BasePath == "" {
		opts.BasePath = "/api/v1/uploads/"
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{db: db, catalog: cat, pipeline: pipe, quota: opts.CheckQuota, log: opts.Logger, now: opts.Now,
		store: &dataStore{blobs: blobs, partSize: opts.PartSize, now: opts.Now}}
	composer := handler.NewStoreComposer()
	composer.UseCore(s.store)
	composer.UseTerminater(s.store)
	composer.UseLocker(NewLocker(db, nil, opts.Logger))
	tus, err := handler.NewUnroutedHandler(handler.Config{
		StoreComposer:              composer,
		BasePath:                   opts.BasePath,
		MaxSize:                    opts.MaxSize,
		DisableDownload:            true,
		DisableConcatenation:       true,
		Cors:                       &handler.CorsConfig{Disable: true}, // same origin only
		PreUploadCreateCallback:    s.beforeCreate,
		PreFinishResponseCallback:  s.beforeFinishResponse,
		PreUploadTerminateCallback: s.beforeTerminate,
		Logger:                     tusLogger(opts.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("upload: tus handler: %w", err)
	}
	s.tus = tus
	s.h = tus.Middleware(http.HandlerFunc(s.route))
	return s, nil
}

// Handle serves the tus endpoint: POST to the base path creates an
// upload; HEAD, PATCH and DELETE on base path + {id} query, continue and
// cancel one. The caller must be signed in (request.User); {id} comes
// from the route's path value "id". Refusals before tusd takes over are
// returned as errors for the caller's error renderer.
func (s *Service) Handle(w http.ResponseWriter, r *http.Request) error {
	u, ok := request.User(r.Context())
	if !ok {
		return lectern.Errorf(lectern.EUnauthorized, "Sign in, or send an API token, to upload.")
	}
	if id := r.PathValue("id"); id != "" {
		sess, err := s.catalog.SessionByID(r.Context(), id)
		switch {
		case lectern.ErrorCodeOf(err) == lectern.ENotFound:
			return lectern.Errorf(lectern.ENotFound, "upload not found")
		case err != nil:
			return err
		case sess.OwnerID != u.ID:
			// Like the rest of the API: 403 for what exists but is not yours.
			return lectern.Errorf(lectern.EForbidden, "Only the person who started an upload can continue it.")
		case sess.Lifecycle == lectern.LifecycleRecycled || sess.Lifecycle == lectern.LifecyclePurged:
			return lectern.Errorf(lectern.ENotFound, "upload not found")
		}
	}
	s.h.ServeHTTP(w, r)
	return nil
}

// route hands a request to tusd's handler for its method. tusd reads the
// upload id from the whole path, so the path is cut to the id.
func (s *Service) route(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST, OPTIONS")
			writeJSONError(w, tusError(lectern.Errorf(lectern.EInvalid, "Create an upload with POST.")).HTTPResponse, http.StatusMethodNotAllowed)
			return
		}
		s.tus.PostFile(w, r)
		return
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/"+id, ""
	r2.URL = &u
	switch r.Method {
	case http.MethodHead:
		s.tus.HeadFile(w, r2)
	case http.MethodPatch:
		s.tus.PatchFile(w, r2)
	case http.MethodDelete:
		s.tus.DelFile(w, r2)
	default:
		w.Header().Set("Allow", "HEAD, PATCH, DELETE, OPTIONS")
		writeJSONError(w, tusError(lectern.Errorf(lectern.EInvalid, "An upload takes HEAD, PATCH or DELETE.")).HTTPResponse, http.StatusMethodNotAllowed)
	}
}

// Metadata names the Upload-Metadata keys Lectern reads.
const (
	MetaFilename  = "filename"
	MetaTitle     = "title"
	MetaFolderID  = "folder_id"
	MetaKeepDraft = "keep_draft" // "true": keep the session a draft when it is ready
)

// beforeCreate runs before tusd stores anything: it checks the caller and
// creates the session, whose id becomes the upload's.
func (s *Service) beforeCreate(hook handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
	ctx := hook.Context
	u, ok := request.User(ctx)
	if !ok {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, tusError(lectern.Errorf(lectern.EUnauthorized, "Sign in to upload."))
	}
	meta := hook.Upload.MetaData
	filename := cleanFilename(meta[MetaFilename])
	title := strings.TrimSpace(meta[MetaTitle])
	if title == "" {
		title = strings.TrimSpace(strings.TrimSuffix(filename, path.Ext(filename)))
	}
	if title == "" {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, tusError(lectern.Errorf(lectern.EInvalid, "title: give the recording a title (Upload-Metadata title or filename)"))
	}
	if s.quota != nil {
		if err := s.quota(ctx, u, hook.Upload.Size); err != nil {
			return handler.HTTPResponse{}, handler.FileInfoChanges{}, s.tusError(ctx, err)
		}
	}
	addr := clientAddr(hook.HTTPRequest.RemoteAddr)
	sess, err := s.catalog.CreateSession(ctx, lectern.PrincipalOf(u), catalog.NewSession{
		FolderID: strings.TrimSpace(meta[MetaFolderID]), Title: title, KeepDraft: meta[MetaKeepDraft] == "true",
	}, addr)
	if err != nil {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, s.tusError(ctx, s.folderError(ctx, meta[MetaFolderID], err))
	}
	if err := s.db.EnsureSessionMedia(ctx, sess.ID, filename, s.now()); err != nil {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, s.tusError(ctx, err)
	}
	s.log.InfoContext(ctx, "upload created", "session", sess.ID, "user_id", u.ID, "size", hook.Upload.Size)
	keep := handler.MetaData{MetaFilename: filename, MetaTitle: title, MetaFolderID: sess.FolderID}
	return handler.HTTPResponse{Header: handler.HTTPHeader{"Lectern-Session-Id": sess.ID}},
		handler.FileInfoChanges{ID: sess.ID, MetaData: keep}, nil
}

// folderError: the catalog says "no such folder" both for a folder that
// does not exist and for one the caller may not see; the API answers 403
// for the second (as its other calls do).
func (s *Service) folderError(ctx context.Context, folderID string, err error) error {
	if lectern.ErrorCodeOf(err) != lectern.EInvalid || strings.TrimSpace(folderID) == "" {
		return err
	}
	if _, ferr := s.db.FolderByID(ctx, strings.TrimSpace(folderID)); ferr == nil {
		return lectern.Errorf(lectern.EForbidden, "You do not have access to this folder.")
	}
	return err
}

// beforeFinishResponse runs once the last byte is stored, before the
// client hears so: the session is queued and the pipeline started.
func (s *Service) beforeFinishResponse(hook handler.HookEvent) (handler.HTTPResponse, error) {
	if err := s.Finish(hook.Context, hook.Upload.ID); err != nil {
		return handler.HTTPResponse{}, s.tusError(hook.Context, err)
	}
	return handler.HTTPResponse{Header: handler.HTTPHeader{"Lectern-Session-Id": hook.Upload.ID}}, nil
}

// beforeTerminate: a cancelled upload fails its session, which goes to
// the uploader's recycle bin.
func (s *Service) beforeTerminate(hook handler.HookEvent) (handler.HTTPResponse, error) {
	ctx := hook.Context
	id := hook.Upload.ID
	sess, err := s.catalog.SessionByID(ctx, id)
	if err != nil {
		return handler.HTTPResponse{}, s.tusError(ctx, err)
	}
	if sess.Processing != lectern.ProcessingUploading {
		return handler.HTTPResponse{}, s.tusError(ctx, lectern.Errorf(lectern.EConflict, "The upload is complete; delete the recording instead."))
	}
	if _, err := s.catalog.SetProcessing(ctx, id, lectern.ProcessingFailed, "The upload was cancelled."); err != nil {
		return handler.HTTPResponse{}, s.tusError(ctx, err)
	}
	if u, ok := request.User(ctx); ok {
		if err := s.catalog.DeleteSession(ctx, lectern.PrincipalOf(u), id, clientAddr(hook.HTTPRequest.RemoteAddr)); err != nil {
			return handler.HTTPResponse{}, s.tusError(ctx, err)
		}
	}
	return handler.HTTPResponse{}, nil
}

// Finish queues a session whose upload is complete and starts the
// pipeline. It is idempotent: a session already queued is started again
// (which does nothing if its job is waiting), one further on is left.
func (s *Service) Finish(ctx context.Context, sessionID string) error {
	sess, err := s.catalog.SessionByID(ctx, sessionID)
	if err != nil {
		return err
	}
	switch sess.Processing {
	case lectern.ProcessingUploading:
		if _, err := s.catalog.SetProcessing(ctx, sessionID, lectern.ProcessingQueued, ""); err != nil &&
			lectern.ErrorCodeOf(err) != lectern.EConflict {
			return err
		}
	case lectern.ProcessingQueued:
	default:
		return nil
	}
	return s.pipeline.Start(ctx, sessionID)
}

// Sources gives the media pipeline the source object of an upload.
type Sources struct {
	store *dataStore
}

// NewSources returns Sources over the blob store uploads are kept in.
func NewSources(blobs blob.Store) Sources {
	return Sources{store: &dataStore{blobs: blobs, partSize: DefaultPartSize, now: time.Now}}
}

// Assemble joins a complete upload's parts into the session's source
// object (SourceKey) and returns its key and size. It is idempotent; the
// media pipeline calls it first. An incomplete upload is EConflict, a
// missing one ENotFound.
func (s Sources) Assemble(ctx context.Context, sessionID string) (string, int64, error) {
	n, err := s.store.Assemble(ctx, sessionID)
	if err != nil {
		return "", 0, err
	}
	return SourceKey(sessionID), n, nil
}

// cleanFilename keeps the base name of what the client called the file.
func cleanFilename(name string) string {
	name = strings.TrimSpace(strings.ReplaceAll(name, "\\", "/"))
	name = path.Base(name)
	if name == "." || name == "/" || !utf8.ValidString(name) {
		return ""
	}
	if len(name) > 255 {
		name = name[:255]
		for !utf8.ValidString(name) {
			name = name[:len(name)-1]
		}
	}
	return name
}

func clientAddr(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

// tusError turns an error into tusd's error with Lectern's JSON body,
// logging internal failures.
func (s *Service) tusError(ctx context.Context, err error) error {
	if code := lectern.ErrorCodeOf(err); code == lectern.EInternal || code == lectern.EUnavailable {
		s.log.ErrorContext(ctx, "upload failed", "err", err)
	}
	return tusError(err)
}

func tusError(err error) handler.Error {
	code := lectern.ErrorCodeOf(err)
	msg := lectern.ErrorMessage(err)
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": string(code), "message": msg}})
	return handler.Error{
		ErrorCode: "ERR_" + strings.ToUpper(string(code)),
		Message:   msg,
		HTTPResponse: handler.HTTPResponse{
			StatusCode: request.Status(code),
			Body:       string(body) + "\n",
			Header:     handler.HTTPHeader{"Content-Type": "application/json", "Cache-Control": "no-store"},
		},
	}
}

func writeJSONError(w http.ResponseWriter, resp handler.HTTPResponse, status int) {
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(resp.Body))
}

// Package playback hands out playback tokens after the access decision,
// serves a session's HLS playlists, segments and pictures under them, and
// keeps viewing analytics (views, resume positions, watched seconds).
//
// Serving is checked by the token alone (HMAC, expiry, session in the
// path), with no database access per request; the rendition version in
// the token names the blob prefix. Views are counted when a token is
// issued, not per segment.
//
// On S3 the bytes are proxied (ranged reads through the blob store), not
// redirected to presigned URLs: the player then talks to one origin, so
// the site's Content-Security-Policy (connect-src 'self') and cookies stay
// as they are, the bucket needs no CORS rules, and an expired token stops
// playback at once instead of leaving a presigned URL valid. The cost is
// the segment bytes passing through a serve node.
package playback

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/pipeline"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Authorizer is the access decision (access.Service).
type Authorizer interface {
	Authorize(ctx context.Context, p lectern.Principal, a lectern.Action, r lectern.Resource, clientAddr string) (lectern.Decision, error)
}

// Token lifetimes: a token must outlast watching the recording with some
// pauses, and no more. A player that is refused (403) asks /playback again.
const (
	MinTokenTTL = time.Hour
	MaxTokenTTL = 12 * time.Hour
	// ViewWindow: a user who is given playback of the same session again
	// within this window (a reload) is not counted as a new view.
	ViewWindow = 30 * time.Minute
	// secretName is the site secret the token key comes from.
	secretName = "playback-token-key"
)

// Options configures a Service; zero fields take defaults.
type Options struct {
	// BaseURL makes hls_url absolute; empty leaves it a path.
	BaseURL string
	// Key signs tokens; empty means the site secret from the database.
	Key []byte
	// TokenTTL, when positive, is how long every token is valid; zero
	// keeps the rule: the recording's length plus an hour, between
	// MinTokenTTL and MaxTokenTTL.
	TokenTTL time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
}

// Service issues tokens, serves media under them and keeps analytics.
type Service struct {
	db     *sqlstore.DB
	blobs  blob.Store
	authz  Authorizer
	signer Signer
	base   string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// New builds the service, reading (or on first start creating) the site
// secret that signs tokens.
func New(ctx context.Context, db *sqlstore.DB, blobs blob.Store, authz Authorizer, opts Options) (*Service, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	key := opts.Key
	if len(key) == 0 {
		secret, err := db.SiteSecret(ctx, secretName, func() string {
			var b [32]byte
			_, _ = rand.Read(b[:])
			return hex.EncodeToString(b[:])
		}, opts.Now())
		if err != nil {
			return nil, fmt.Errorf("playback: %w", err)
		}
		if key, err = hex.DecodeString(secret); err != nil || len(key) < 32 {
			return nil, fmt.Errorf("playback: site secret %s is not 32 hex bytes", secretName)
		}
	}
	return &Service{db: db, blobs: blobs, authz: authz, signer: NewSigner(key),
		base: strings.TrimRight(opts.BaseURL, "/"), ttl: max(opts.TokenTTL, 0), now: opts.Now, log: opts.Logger}, nil
}

// Ticket is what a viewer gets: where to play from, until when.
type Ticket struct {
	SessionID string
	Token     string
	ExpiresAt time.Time
	// BaseURL is the URL of the rendition's folder, ending in "/": the
	// master playlist, poster, thumbnails and sprite are under it.
	BaseURL  string
	Manifest pipeline.Manifest
}

// HLSURL is the master playlist's URL.
func (t Ticket) HLSURL() string { return t.BaseURL + t.Manifest.Master }

// Issue decides whether p may view the session (view, through the access
// decision: ENotFound when not, audited for admins) and, when it has a
// playable rendition, returns a token for it and counts a view. A session
// still processing, failed or archived is EConflict.
func (s *Service) Issue(ctx context.Context, p lectern.Principal, sessionID, clientAddr string) (Ticket, error) {
	if _, err := s.authz.Authorize(ctx, p, lectern.ActionView, lectern.SessionResource(sessionID), clientAddr); err != nil {
		return Ticket{}, err
	}
	sess, err := s.db.SessionByID(ctx, sessionID)
	if err != nil {
		return Ticket{}, err
	}
	switch sess.Lifecycle {
	case lectern.LifecycleArchived, lectern.LifecycleRecycled, lectern.LifecyclePurged:
		return Ticket{}, lectern.Errorf(lectern.EConflict, "This recording is %s and cannot be played until it is restored.", sess.Lifecycle)
	}
	row, err := s.db.SessionMedia(ctx, sessionID)
	if err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
		return Ticket{}, err
	}
	if row.RenditionVersion == 0 {
		if sess.Processing == lectern.ProcessingFailed {
			return Ticket{}, lectern.Errorf(lectern.EConflict, "This recording could not be processed: %s", sess.ProcessingError)
		}
		return Ticket{}, lectern.Errorf(lectern.EConflict, "This recording is still being processed. Try again in a few minutes.")
	}
	m, err := pipeline.DecodeManifest(row)
	if err != nil {
		return Ticket{}, err
	}
	now := s.now().UTC()
	ttl := s.ttl
	if ttl == 0 {
		ttl = min(max(time.Duration(m.Duration*float64(time.Second))+time.Hour, MinTokenTTL), MaxTokenTTL)
	}
	c := Claims{SessionID: sessionID, PrincipalID: p.UserID, Version: m.Version, Expires: now.Add(ttl).Truncate(time.Second)}
	tok := s.signer.Sign(c)
	if _, err := s.db.InsertSessionView(ctx, sessionID, p.UserID, now, now.Add(-ViewWindow)); err != nil {
		return Ticket{}, err
	}
	return Ticket{SessionID: sessionID, Token: tok, ExpiresAt: c.Expires, Manifest: m,
		BaseURL: s.base + MediaPath(sessionID, tok)}, nil
}

// asForbidden follows the API's rule: a session that exists but that the
// caller may not see is 403, not 404 (the access decision says "not
// found" so that pages do not reveal it; ids are random, so the API
// tells no more than that an id someone holds is real).
func (s *Service) asForbidden(ctx context.Context, err error, sessionID string) error {
	if lectern.ErrorCodeOf(err) != lectern.ENotFound {
		return err
	}
	if _, xerr := s.db.SessionByID(ctx, sessionID); xerr == nil {
		return lectern.Errorf(lectern.EForbidden, "You do not have access to this session.")
	}
	return err
}

// MediaPath is the path under which a token serves a session's rendition:
// /hls/{session}/{token}/. Playlists use relative URLs, so every variant
// playlist and segment resolves under it.
func MediaPath(sessionID, token string) string { return "/hls/" + sessionID + "/" + token + "/" }

// Verify checks a token for a session: its signature, expiry, and that it
// was issued for this session (EForbidden otherwise).
func (s *Service) Verify(token, sessionID string) (Claims, error) {
	c, err := s.signer.Verify(token, s.now())
	if err != nil {
		return Claims{}, err
	}
	if c.SessionID != sessionID {
		return Claims{}, errBadToken
	}
	return c, nil
}

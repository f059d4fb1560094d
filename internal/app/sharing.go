package app

import (
	"context"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sharing"
)

// openSharing builds share links and guest invitations. Link opens get
// their playback tokens from a playback service of their own, built with
// sharing.LinkAuthorizer: the sharing service has made the link's checks
// (token, password, limits, the session's visibility) before it asks, and
// the principal is the link viewer, not an account. Its tokens are signed
// with the same site key, so the ordinary media routes serve them.
func (c *Core) openSharing(ctx context.Context) error {
	links, err := playback.New(ctx, c.DB, c.Blobs, sharing.LinkAuthorizer{}, playback.Options{
		TokenTTL: c.Config.PlaybackTokenTTL, Logger: c.Log.With("component", "playback", "for", "share-links"),
	})
	if err != nil {
		return err
	}
	c.Sharing = sharing.New(c.DB, c.Access, c.Identity, c.Outbox, linkTokens{links}, sharing.Options{
		BaseURL: c.Config.EffectiveBaseURL(), Params: identity.DefaultParams,
		Now: func() time.Time { return time.Now().UTC() },
	})
	return nil
}

// linkTokens is sharing.TokenIssuer over a playback service.
type linkTokens struct{ p *playback.Service }

func (l linkTokens) Issue(ctx context.Context, sessionID, principalID string) (string, time.Time, error) {
	t, err := l.p.Issue(ctx, lectern.Principal{UserID: principalID}, sessionID, "")
	if err != nil {
		return "", time.Time{}, err
	}
	return t.HLSURL(), t.ExpiresAt, nil
}

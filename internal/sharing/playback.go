package sharing

import (
	"context"
	"strings"

	"github.com/lectern-edu/lectern"
)

// linkPrincipalPrefix starts the principal id of a link viewer:
// "link:{link id}:{viewer id}". No account has such an id (ids are UUIDs).
const linkPrincipalPrefix = "link:"

// LinkAuthorizer is the playback service's Authorizer for link opens. The
// sharing service has already made every check a link needs (token,
// state, expiry, password, limits, the session's visibility) before it
// asks for a token, so this vouches for link principals, for viewing, and
// refuses everything else. Give it only to the playback service that
// issues link tokens (see internal/app), never to the one behind
// GET /api/v1/sessions/{id}/playback.
type LinkAuthorizer struct{}

// Authorize implements playback.Authorizer.
func (LinkAuthorizer) Authorize(_ context.Context, p lectern.Principal, a lectern.Action, r lectern.Resource, _ string) (lectern.Decision, error) {
	if a != lectern.ActionView || r.Type != lectern.ResourceSession || !strings.HasPrefix(p.UserID, linkPrincipalPrefix) {
		return lectern.Decision{}, lectern.Errorf(lectern.ENotFound, "session not found")
	}
	return lectern.Decision{Allowed: true, Reason: "share-link", Role: lectern.RoleViewer}, nil
}

package identity

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// APITokenPrefix starts every personal API token, so that secret scanners
// and people can recognise one.
const APITokenPrefix = "lct_"

const maxTokenNameLen = 100

// parseAPISecret checks that secret is "lct_" followed by a 43-character
// base64url token and returns the hex SHA-256 under which it is stored.
func parseAPISecret(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, APITokenPrefix)
	if !ok {
		return "", false
	}
	if _, ok := parseToken(rest); !ok {
		return "", false
	}
	return hashSecret(secret), true
}

func errBadToken() error {
	return &lectern.Error{Code: lectern.EUnauthorized, Message: "The API token is not valid. It may have been revoked."}
}

// CreateAPIToken makes a personal API token for userID, named name (1 to
// 100 characters, else EInvalid naming the name). The secret is
// "lct_" + 43 base64url characters; it is returned once and only its
// SHA-256 is stored. The token does not expire. An unknown user is
// ENotFound; a disabled one EForbidden.
func (s *Service) CreateAPIToken(ctx context.Context, userID, name string) (string, lectern.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", lectern.APIToken{}, lectern.Errorf(lectern.EInvalid, "Give the token a name, such as the script that will use it.")
	}
	if utf8.RuneCountInString(name) > maxTokenNameLen {
		return "", lectern.APIToken{}, lectern.Errorf(lectern.EInvalid, "The token name must be at most %d characters long.", maxTokenNameLen)
	}
	u, err := s.db.UserByID(ctx, userID)
	if err != nil {
		return "", lectern.APIToken{}, err
	}
	if u.Disabled {
		return "", lectern.APIToken{}, lectern.Errorf(lectern.EForbidden, "This account has been disabled. Please contact the site administrator.")
	}
	secret := APITokenPrefix + newToken()
	tok := lectern.APIToken{
		ID:        sqlstore.NewID(),
		UserID:    userID,
		Name:      name,
		CreatedAt: s.now(),
	}
	if err := s.db.InsertAPIToken(ctx, tok, hashSecret(secret)); err != nil {
		return "", lectern.APIToken{}, err
	}
	return secret, tok, nil
}

// TokenUser returns the account behind an API token secret (the Bearer
// value) and records its use, writing at most once a minute. A secret
// that is malformed, unknown, revoked or expired, or whose account is
// disabled, is EUnauthorized.
func (s *Service) TokenUser(ctx context.Context, secret string) (lectern.User, error) {
	hash, ok := parseAPISecret(secret)
	if !ok {
		return lectern.User{}, errBadToken()
	}
	tok, u, err := s.db.APITokenByHash(ctx, hash)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.User{}, errBadToken()
	}
	if err != nil {
		return lectern.User{}, err
	}
	now := s.now()
	if (!tok.ExpiresAt.IsZero() && !now.Before(tok.ExpiresAt)) || u.Disabled {
		return lectern.User{}, errBadToken()
	}
	if staleBefore := now.Add(-touchInterval); tok.LastUsedAt.IsZero() || !tok.LastUsedAt.After(staleBefore) {
		if err := s.db.TouchAPIToken(ctx, tok.ID, now, staleBefore); err != nil {
			return lectern.User{}, err
		}
	}
	return u, nil
}

// ListAPITokens returns userID's tokens, newest first, without secrets.
func (s *Service) ListAPITokens(ctx context.Context, userID string) ([]lectern.APIToken, error) {
	return s.db.ListAPITokens(ctx, userID)
}

// RevokeAPIToken deletes one of userID's tokens. A token that does not
// exist or belongs to another user is ENotFound.
func (s *Service) RevokeAPIToken(ctx context.Context, userID, tokenID string) error {
	return s.db.DeleteAPIToken(ctx, userID, tokenID)
}

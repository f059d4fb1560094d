package lti

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Lectern's own key pairs sign deep-linking responses and the JWT
// assertions that get NRPS tokens; their public halves are published at
// /lti/jwks. Private keys are stored sealed with the site key.

const rsaBits = 2048

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

func keyPurpose(kid string) string { return "lti-key:" + kid }

// RotateKey makes a new key pair the signing key. The previous keys stay
// published for KeyGrace, so that platforms still holding a message
// signed with them can check it. byUserID is recorded in the audit log.
func (s *Service) RotateKey(ctx context.Context, byUserID string) (string, error) {
	if err := s.checkSiteKey(ctx, true); err != nil {
		return "", err
	}
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return "", fmt.Errorf("lti: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("lti: encode key: %w", err)
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	kid := hex.EncodeToString(b[:])
	k := sqlstore.LTIKey{ID: kid, PrivateSealed: s.sealer.Seal(keyPurpose(kid), der), CreatedAt: s.clock()}
	if err := s.db.RotateLTIKey(ctx, k); err != nil {
		return "", err
	}
	s.signMu.Lock()
	s.signers[kid] = &signingKey{kid: kid, priv: priv}
	s.signMu.Unlock()
	if err := s.audit(ctx, byUserID, "lti.key.rotate", "", "", "new signing key "+kid); err != nil {
		return "", err
	}
	return kid, nil
}

// publishedKeys lists the keys in use and those retired within KeyGrace,
// newest first; on a site with none yet it makes the first.
func (s *Service) publishedKeys(ctx context.Context) ([]sqlstore.LTIKey, error) {
	keys, err := s.db.LTIKeys(ctx, s.clock().Add(-KeyGrace))
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			return keys, nil
		}
	}
	if _, err := s.RotateKey(ctx, ""); err != nil {
		return nil, err
	}
	return s.db.LTIKeys(ctx, s.clock().Add(-KeyGrace))
}

func (s *Service) openKey(k sqlstore.LTIKey) (*signingKey, error) {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	if sk, ok := s.signers[k.ID]; ok {
		return sk, nil
	}
	der, err := s.sealer.Open(keyPurpose(k.ID), k.PrivateSealed)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("lti: key %s: %w", k.ID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("lti: key %s is not RSA", k.ID)
	}
	sk := &signingKey{kid: k.ID, priv: priv}
	s.signers[k.ID] = sk
	return sk, nil
}

// currentKey is the key that signs now.
func (s *Service) currentKey(ctx context.Context) (*signingKey, error) {
	keys, err := s.publishedKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			return s.openKey(k)
		}
	}
	return nil, fmt.Errorf("lti: no signing key")
}

// KeyInfo describes one published key, for the admin page.
type KeyInfo struct {
	ID        string
	CreatedAt string
	Current   bool
	PublicPEM string
}

// Keys lists the published keys, the signing one first.
func (s *Service) Keys(ctx context.Context) ([]KeyInfo, error) {
	keys, err := s.publishedKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []KeyInfo
	current := true
	for _, k := range keys {
		sk, err := s.openKey(k)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKIXPublicKey(&sk.priv.PublicKey)
		if err != nil {
			return nil, err
		}
		isCurrent := current && k.RetiredAt.IsZero()
		if isCurrent {
			current = false
		}
		out = append(out, KeyInfo{ID: k.ID, CreatedAt: k.CreatedAt.Format("2006-01-02 15:04 UTC"), Current: isCurrent,
			PublicPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	}
	return out, nil
}

// JWKS is Lectern's public key set, as served at /lti/jwks.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) {
	keys, err := s.publishedKeys(ctx)
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	for _, k := range keys {
		sk, err := s.openKey(k)
		if err != nil {
			return nil, err
		}
		pub, err := jwk.Import(&sk.priv.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("lti: public key %s: %w", k.ID, err)
		}
		for name, v := range map[string]any{jwk.KeyIDKey: k.ID, jwk.AlgorithmKey: jwa.RS256(), jwk.KeyUsageKey: "sig"} {
			if err := pub.Set(name, v); err != nil {
				return nil, fmt.Errorf("lti: public key %s: %w", k.ID, err)
			}
		}
		if err := set.AddKey(pub); err != nil {
			return nil, err
		}
	}
	return json.Marshal(set)
}

// sign makes a compact JWS (RS256, kid in the header) of claims with the
// current key.
func (s *Service) sign(ctx context.Context, claims any) (string, error) {
	k, err := s.currentKey(ctx)
	if err != nil {
		return "", err
	}
	return SignJWT(claims, k.priv, k.kid)
}

// SignJWT signs claims (marshalled to JSON) with RS256 and the key id kid.
// The test platform uses it too.
func SignJWT(claims any, priv *rsa.PrivateKey, kid string) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode JWT claims: %w", err)
	}
	h := jws.NewHeaders()
	for name, v := range map[string]any{jws.KeyIDKey: kid, jws.TypeKey: "JWT"} {
		if err := h.Set(name, v); err != nil {
			return "", err
		}
	}
	out, err := jws.Sign(payload, jws.WithKey(jwa.RS256(), priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("sign JWT: %w", err)
	}
	return string(out), nil
}

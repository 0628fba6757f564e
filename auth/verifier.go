package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// KeySet finds the public key that verifies a token, by the token's key id.
type KeySet interface {
	// Key returns the key with id kid, or an error wrapping ErrUnknownKey.
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)
}

// StaticKeys is a fixed KeySet: key id to public key.
type StaticKeys map[string]crypto.PublicKey

// Key returns the key with id kid or ErrUnknownKey.
func (s StaticKeys) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	k, ok := s[kid]
	if !ok {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}

// allowedMethods lists the asymmetric algorithms a token may use. "none" and
// the HMAC family are refused outright: with a public key as the HMAC secret,
// anybody could sign.
var allowedMethods = []string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

// Verifier checks bearer tokens: signature (by key id and a matching
// algorithm), expiry, not-before, issuer and audience.
type Verifier struct {
	keys     KeySet
	issuer   string
	audience string
	now      func() time.Time
	leeway   time.Duration
	cache    verified
}

// NewVerifier returns a Verifier that takes keys from keys, accepts only
// tokens of issuer for audience, reads the time from now and allows leeway
// of clock skew.
func NewVerifier(keys KeySet, issuer, audience string, now func() time.Time, leeway time.Duration) *Verifier {
	return &Verifier{keys: keys, issuer: issuer, audience: audience, now: now, leeway: leeway}
}

// Verify checks token and returns its principal. Every failure is an error
// wrapping ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if p, ok := v.cache.get(token, v.now()); ok {
		return p, nil
	}
	p := jwt.NewParser(
		jwt.WithValidMethods(allowedMethods),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(v.now),
		jwt.WithLeeway(v.leeway),
	)
	var c claims
	_, err := p.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, err := v.keys.Key(ctx, kid)
		if err != nil {
			return nil, err
		}
		if err := keyFits(t.Method.Alg(), key); err != nil {
			return nil, err
		}
		return key, nil
	})
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" {
		return Principal{}, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	pr := Principal{Subject: c.Subject, Roles: c.roles()}
	v.cache.put(token, pr, c.ExpiresAt.Time, v.now())
	return pr, nil
}

// keyFits refuses a key of another type (or curve) than the token's
// algorithm names, so a token cannot pick how its signature is checked.
func keyFits(alg string, key crypto.PublicKey) error {
	ok := false
	switch k := key.(type) {
	case ed25519.PublicKey:
		ok = alg == "EdDSA"
	case *ecdsa.PublicKey:
		ok = (alg == "ES256" && k.Curve == elliptic.P256()) ||
			(alg == "ES384" && k.Curve == elliptic.P384()) ||
			(alg == "ES512" && k.Curve == elliptic.P521())
	case *rsa.PublicKey:
		ok = len(alg) == 5 && (alg[:2] == "RS" || alg[:2] == "PS")
	}
	if !ok {
		return fmt.Errorf("algorithm %s does not fit a %T key", alg, key)
	}
	return nil
}

// claims are the token's registered claims plus the roles, taken from a
// `role` or `roles` claim or from Keycloak's `realm_access.roles`.
type claims struct {
	jwt.RegisteredClaims
	Role        stringList   `json:"role,omitempty"`
	Roles       stringList   `json:"roles,omitempty"`
	RealmAccess *realmAccess `json:"realm_access,omitempty"`
}

type realmAccess struct {
	Roles []string `json:"roles"`
}

func (c claims) roles() []string {
	var out []string
	out = append(out, c.Role...)
	out = append(out, c.Roles...)
	if c.RealmAccess != nil {
		out = append(out, c.RealmAccess.Roles...)
	}
	return out
}

// stringList accepts a JSON string or an array of strings; providers differ.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("role claim must be a string or a list of strings")
	}
	*s = many
	return nil
}

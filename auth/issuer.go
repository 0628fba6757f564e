package auth

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer signs tokens with the embedded Ed25519 key.
type Issuer struct {
	key      ed25519.PrivateKey
	kid      string
	issuer   string
	audience string
	now      func() time.Time
}

// NewIssuer returns an Issuer that signs with key, naming issuer and audience
// in every token and reading the time from now.
func NewIssuer(key ed25519.PrivateKey, issuer, audience string, now func() time.Time) *Issuer {
	return &Issuer{
		key:      key,
		kid:      KeyID(key.Public().(ed25519.PublicKey)),
		issuer:   issuer,
		audience: audience,
		now:      now,
	}
}

// Issue returns a signed token for subject with role, valid from now for ttl.
// It returns an error for an empty subject or role or a ttl that is not
// positive.
func (i *Issuer) Issue(subject, role string, ttl time.Duration) (string, error) {
	if subject == "" || role == "" {
		return "", fmt.Errorf("auth: issue: subject and role are required")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: issue: ttl %v must be positive", ttl)
	}
	now := i.now().Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{i.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Roles: []string{role},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = i.kid
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}

// Keys returns the key set that verifies this issuer's tokens.
func (i *Issuer) Keys() StaticKeys {
	return StaticKeys{i.kid: i.key.Public()}
}

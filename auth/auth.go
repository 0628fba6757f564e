// Package auth issues and verifies the bearer tokens (JWTs) of the clinic's
// HTTP API. On the embedded setup the binary signs tokens with an Ed25519 key
// kept in its data folder; in production it verifies tokens of an OIDC provider
// (Keycloak, for instance) against the provider's JWKS.
package auth

import (
	"errors"
	"slices"
)

// The roles the API knows.
const (
	RoleStaff    = "staff"
	RoleCustomer = "customer"
)

// Defaults for the issuer and audience of tokens on the embedded setup.
const (
	DefaultIssuer   = "clinic"
	DefaultAudience = "clinic-api"
)

var (
	// ErrInvalidToken is returned for a token that is malformed, expired, not
	// yet valid, signed by an unknown key or with a refused algorithm, or meant
	// for another issuer or audience. The wrapped error says which.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrUnknownKey is returned (wrapped in ErrInvalidToken) when no key has
	// the token's key id.
	ErrUnknownKey = errors.New("auth: unknown signing key")
)

// Principal is the verified caller: the token's subject and its roles.
type Principal struct {
	Subject string
	Roles   []string
}

// HasRole reports whether p has role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

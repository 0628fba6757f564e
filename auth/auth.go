// Package auth issues and verifies the bearer tokens (JWTs) of the clinic's
// HTTP API. On the embedded setup the binary signs tokens with an Ed25519 key
// kept in its data folder; in production it verifies tokens of an OIDC provider
// (Keycloak, for instance) against the provider's JWKS.
package auth

import (
	"errors"
	"slices"
)

// The roles the API knows. Reception runs the front desk (bookings,
// check-in, money), vet writes clinical records, admin runs the clinic's
// configuration and its projection and notice administration. Staff is the
// umbrella of all three, kept for the tokens and scripts that predate them.
// docs/access.md says which role may call which route.
const (
	RoleReception = "reception"
	RoleVet       = "vet"
	RoleAdmin     = "admin"
	RoleStaff     = "staff"
	RoleCustomer  = "customer"
)

// StaffRoles are the roles of the clinic's people, the umbrella included.
var StaffRoles = []string{RoleReception, RoleVet, RoleAdmin, RoleStaff}

// KnownRole reports whether role is one the API knows.
func KnownRole(role string) bool { return role == RoleCustomer || slices.Contains(StaffRoles, role) }

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

// HasRole reports whether p has role, as granted: a staff token has every
// staff role.
func (p Principal) HasRole(role string) bool {
	if slices.Contains(p.Roles, role) {
		return true
	}
	return role != RoleCustomer && KnownRole(role) && slices.Contains(p.Roles, RoleStaff)
}

// HasAnyRole reports whether p has one of roles.
func (p Principal) HasAnyRole(roles ...string) bool {
	return slices.ContainsFunc(roles, p.HasRole)
}

// IsStaff reports whether p is one of the clinic's people.
func (p Principal) IsStaff() bool { return p.HasAnyRole(StaffRoles...) }

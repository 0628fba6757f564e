package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vetclinic/clinic/auth"
)

// runToken prints a token signed with the data folder's key, for the
// embedded setup (production tokens come from the OIDC provider).
func runToken(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", stderr)
	data := fs.String("data", "./data", "data folder whose signing key signs the token")
	role := fs.String("role", auth.RoleStaff, "role: reception, vet, admin, staff (all three) or customer; docs/access.md says what each may do")
	subject := fs.String("subject", "", "who the token is for: a staff id (nurse-kim) or a customer's phone number")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	issuer := fs.String("issuer", auth.DefaultIssuer, "token issuer (iss)")
	audience := fs.String("audience", auth.DefaultAudience, "token audience (aud)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if !auth.KnownRole(*role) {
		return fmt.Errorf("token: --role must be one of %s or %s, not %q", strings.Join(auth.StaffRoles, ", "), auth.RoleCustomer, *role)
	}
	if *subject == "" {
		return errors.New("token: --subject is required (for example --subject nurse-kim)")
	}
	key, err := auth.LoadOrCreateKey(auth.KeyPath(*data))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	tok, err := auth.NewIssuer(key, *issuer, *audience, time.Now).Issue(*subject, *role, *ttl)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

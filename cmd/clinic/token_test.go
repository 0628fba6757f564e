package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
)

func noEnv(string) string { return "" }

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"token", "--data", dir, "--role", "customer", "--subject", "010-1234-5678", "--ttl", "1h"}, noEnv, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.LoadOrCreateKey(auth.KeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now).Keys(),
		auth.DefaultIssuer, auth.DefaultAudience, time.Now, 0)
	p, err := v.Verify(context.Background(), strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "010-1234-5678" || !p.HasRole(auth.RoleCustomer) {
		t.Errorf("principal %+v", p)
	}
}

func TestTokenCommandRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"token", "--data", dir, "--subject", "x", "--role", "superuser"},
		{"token", "--data", dir},
		{"token", "--data", dir, "--subject", "x", "--ttl", "-1h"},
		{"token", "--bogus"},
	} {
		if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

// TestTokenCommandIssuesEveryRole: each role a clinic has gets a token that
// carries it, and only it.
func TestTokenCommandIssuesEveryRole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := auth.LoadOrCreateKey(auth.KeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now).Keys(), auth.DefaultIssuer, auth.DefaultAudience, time.Now, 0)
	for _, role := range []string{auth.RoleReception, auth.RoleVet, auth.RoleAdmin} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"token", "--data", dir, "--role", role, "--subject", "someone"}, noEnv, &out, io.Discard); err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		p, err := v.Verify(context.Background(), strings.TrimSpace(out.String()))
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if !slices.Equal(p.Roles, []string{role}) {
			t.Errorf("%s: roles %v", role, p.Roles)
		}
	}
}

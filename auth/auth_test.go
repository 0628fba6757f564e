package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newTestIssuer(t *testing.T) *Issuer {
	t.Helper()
	key, err := LoadOrCreateKey(KeyPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return NewIssuer(key, DefaultIssuer, DefaultAudience, fixedClock(t0))
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	path := KeyPath(t.TempDir())
	var wg sync.WaitGroup
	keys := make([]ed25519.PrivateKey, 8)
	errs := make([]error, 8)
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("racer %d got a different key", i)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key mode = %v, want 0600", got)
	}
	again, err := LoadOrCreateKey(path)
	if err != nil || !again.Equal(keys[0]) {
		t.Fatalf("reload: %v, same key %v", err, again.Equal(keys[0]))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Error("a world-readable key file was accepted")
	}
}

func TestLoadKeyRejectsGarbage(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Error("garbage key file was accepted")
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	iss := newTestIssuer(t)
	tok, err := iss.Issue("nurse-kim", RoleStaff, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(iss.Keys(), DefaultIssuer, DefaultAudience, fixedClock(t0.Add(30*time.Minute)), 0)
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{Subject: "nurse-kim", Roles: []string{RoleStaff}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	if !got.HasRole(RoleStaff) || got.HasRole(RoleCustomer) {
		t.Errorf("HasRole wrong for %v", got.Roles)
	}
}

func TestIssueRejectsBadInput(t *testing.T) {
	t.Parallel()
	iss := newTestIssuer(t)
	for _, c := range []struct {
		sub, role string
		ttl       time.Duration
	}{{"", RoleStaff, time.Hour}, {"a", "", time.Hour}, {"a", RoleStaff, 0}, {"a", RoleStaff, -time.Second}} {
		if _, err := iss.Issue(c.sub, c.role, c.ttl); err == nil {
			t.Errorf("Issue(%q, %q, %v) succeeded", c.sub, c.role, c.ttl)
		}
	}
}

// sign signs c with key under alg, with header kid.
func sign(t *testing.T, m jwt.SigningMethod, kid string, c jwt.Claims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := LoadOrCreateKey(KeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	kid := KeyID(pub)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	good := func() jwt.RegisteredClaims {
		return jwt.RegisteredClaims{
			Issuer: DefaultIssuer, Subject: "nurse-kim", Audience: jwt.ClaimStrings{DefaultAudience},
			NotBefore: jwt.NewNumericDate(t0.Add(-time.Minute)), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
		}
	}
	with := func(f func(*jwt.RegisteredClaims)) jwt.RegisteredClaims { c := good(); f(&c); return c }
	tampered := func() string {
		s := sign(t, jwt.SigningMethodEdDSA, kid, good(), key)
		parts := strings.Split(s, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		payload = []byte(strings.Replace(string(payload), "nurse-kim", "doctor-lee", 1))
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return strings.Join(parts, ".")
	}
	none := func() string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodNone, good()).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	cases := map[string]string{
		"sanity: good token":  "",
		"expired":             sign(t, jwt.SigningMethodEdDSA, kid, with(func(c *jwt.RegisteredClaims) { c.ExpiresAt = jwt.NewNumericDate(t0.Add(-time.Second)) }), key),
		"not yet valid":       sign(t, jwt.SigningMethodEdDSA, kid, with(func(c *jwt.RegisteredClaims) { c.NotBefore = jwt.NewNumericDate(t0.Add(time.Minute)) }), key),
		"no expiry":           sign(t, jwt.SigningMethodEdDSA, kid, with(func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil }), key),
		"wrong issuer":        sign(t, jwt.SigningMethodEdDSA, kid, with(func(c *jwt.RegisteredClaims) { c.Issuer = "evil" }), key),
		"wrong audience":      sign(t, jwt.SigningMethodEdDSA, kid, with(func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"other"} }), key),
		"no subject":          sign(t, jwt.SigningMethodEdDSA, kid, with(func(c *jwt.RegisteredClaims) { c.Subject = "" }), key),
		"alg none":            none(),
		"HS256 with pub key":  sign(t, jwt.SigningMethodHS256, kid, good(), []byte(pub)),
		"ES256 under Ed25519": sign(t, jwt.SigningMethodES256, kid, good(), ecKey),
		"tampered signature":  tampered(),
		"other key, same kid": sign(t, jwt.SigningMethodEdDSA, kid, good(), other),
		"unknown kid":         sign(t, jwt.SigningMethodEdDSA, "nope", good(), key),
		"no kid":              sign(t, jwt.SigningMethodEdDSA, "", good(), key),
		"garbage":             "a.b.c",
		"empty":               "",
	}
	v := NewVerifier(StaticKeys{kid: pub}, DefaultIssuer, DefaultAudience, fixedClock(t0), 0)
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "sanity: good token" {
				if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodEdDSA, kid, good(), key)); err != nil {
					t.Fatalf("good token refused: %v", err)
				}
				return
			}
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
		})
	}
	t.Run("unknown kid names the cause", func(t *testing.T) {
		_, err := v.Verify(context.Background(), cases["unknown kid"])
		if !errors.Is(err, ErrUnknownKey) {
			t.Errorf("Verify = %v, want ErrUnknownKey", err)
		}
	})
}

func TestRolesClaimShapes(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	keys := StaticKeys{"k": key.Public()}
	v := NewVerifier(keys, "iss", "aud", fixedClock(t0), 0)
	base := jwt.MapClaims{"iss": "iss", "aud": "aud", "sub": "s", "exp": t0.Add(time.Hour).Unix()}
	for name, c := range map[string]struct {
		extra jwt.MapClaims
		want  []string
	}{
		"role string": {jwt.MapClaims{"role": "staff"}, []string{"staff"}},
		"roles list":  {jwt.MapClaims{"roles": []string{"staff", "customer"}}, []string{"staff", "customer"}},
		"keycloak":    {jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"staff"}}}, []string{"staff"}},
		"none":        {jwt.MapClaims{}, nil},
	} {
		mc := jwt.MapClaims{}
		for k, x := range base {
			mc[k] = x
		}
		for k, x := range c.extra {
			mc[k] = x
		}
		p, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodEdDSA, "k", mc, key))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(c.want, p.Roles); diff != "" {
			t.Errorf("%s: roles (-want +got):\n%s", name, diff)
		}
	}
}

func TestCachedTokenStillExpires(t *testing.T) {
	t.Parallel()
	key, err := LoadOrCreateKey(KeyPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	iss := NewIssuer(key, DefaultIssuer, DefaultAudience, fixedClock(t0))
	tok, err := iss.Issue("nurse-kim", RoleStaff, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	v := NewVerifier(iss.Keys(), DefaultIssuer, DefaultAudience, clk.now, 0)
	for range 2 { // the second is a cache hit
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(11 * time.Second)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("expired cached token: %v, want ErrInvalidToken", err)
	}
	// A tampered copy of a cached token is not a hit.
	other := NewVerifier(iss.Keys(), DefaultIssuer, DefaultAudience, fixedClock(t0), 0)
	if _, err := other.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	b := []byte(tok)
	i := len(b) - 10 // inside the signature, clear of base64's padding bits
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	if _, err := other.Verify(context.Background(), string(b)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("tampered token after a cache fill: %v", err)
	}
}

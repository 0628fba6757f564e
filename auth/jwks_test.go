package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeProvider serves a JWKS whose keys a test can rotate, counting fetches.
type fakeProvider struct {
	mu      sync.Mutex
	keys    []map[string]string
	down    bool
	fetches atomic.Int64
}

func (f *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.fetches.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"keys": f.keys})
}

func (f *fakeProvider) set(down bool, keys ...map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.keys = down, keys
}

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func edJWK(kid string, pub ed25519.PublicKey) map[string]string {
	return map[string]string{"kid": kid, "kty": "OKP", "crv": "Ed25519", "x": enc(pub), "use": "sig"}
}

func ecJWK(kid string, k *ecdsa.PrivateKey) map[string]string {
	b, _ := k.PublicKey.Bytes() // 0x04 || X || Y
	n := (len(b) - 1) / 2
	return map[string]string{"kid": kid, "kty": "EC", "crv": "P-256", "x": enc(b[1 : 1+n]), "y": enc(b[1+n:])}
}

func rsaJWK(kid string, k *rsa.PrivateKey) map[string]string {
	return map[string]string{"kid": kid, "kty": "RSA", "n": enc(k.N.Bytes()), "e": enc(big.NewInt(int64(k.E)).Bytes())}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func keycloakClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "https://sso.example/realms/clinic", "aud": "clinic-api", "sub": "nurse-kim",
		"exp": t0.Add(time.Hour).Unix(), "realm_access": map[string]any{"roles": []string{"staff"}},
	}
}

func TestJWKSVerifiesEachKeyType(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	p := &fakeProvider{}
	p.set(false, edJWK("ed", ed.Public().(ed25519.PublicKey)), ecJWK("ec", ec), rsaJWK("rs", rs),
		map[string]string{"kid": "enc", "kty": "OKP", "crv": "Ed25519", "x": enc(ed.Public().(ed25519.PublicKey)), "use": "enc"})
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	v := NewVerifier(NewJWKS(srv.URL, JWKSOptions{Client: srv.Client(), Now: fixedClock(t0)}),
		"https://sso.example/realms/clinic", "clinic-api", fixedClock(t0), 0)
	for _, c := range []struct {
		m   jwt.SigningMethod
		kid string
		key any
		ok  bool
	}{
		{jwt.SigningMethodEdDSA, "ed", ed, true},
		{jwt.SigningMethodES256, "ec", ec, true},
		{jwt.SigningMethodRS256, "rs", rs, true},
		{jwt.SigningMethodPS256, "rs", rs, true},
		{jwt.SigningMethodEdDSA, "enc", ed, false}, // an encryption key never verifies
		{jwt.SigningMethodES256, "ed", ec, false},  // the alg must fit the key's type
	} {
		p, err := v.Verify(context.Background(), sign(t, c.m, c.kid, keycloakClaims(), c.key))
		if (err == nil) != c.ok {
			t.Errorf("%s/%s: err = %v, want ok=%v", c.m.Alg(), c.kid, err, c.ok)
		}
		if c.ok && !p.HasRole(RoleStaff) {
			t.Errorf("%s/%s: roles %v lack staff", c.m.Alg(), c.kid, p.Roles)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1 (cached)", n)
	}
}

func TestJWKSRefreshesOnRotation(t *testing.T) {
	t.Parallel()
	_, old, _ := ed25519.GenerateKey(rand.Reader)
	_, rotated, _ := ed25519.GenerateKey(rand.Reader)
	p := &fakeProvider{}
	p.set(false, edJWK("old", old.Public().(ed25519.PublicKey)))
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	clk := &clock{t: t0}
	keys := NewJWKS(srv.URL, JWKSOptions{Client: srv.Client(), Now: clk.now, MinRefresh: time.Minute, MaxAge: time.Hour})
	v := NewVerifier(keys, "https://sso.example/realms/clinic", "clinic-api", fixedClock(t0), 0)
	ctx := context.Background()

	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, "old", keycloakClaims(), old)); err != nil {
		t.Fatal(err)
	}
	p.set(false, edJWK("old", old.Public().(ed25519.PublicKey)), edJWK("new", rotated.Public().(ed25519.PublicKey)))
	clk.add(2 * time.Minute)
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, "new", keycloakClaims(), rotated)); err != nil {
		t.Fatalf("rotated key not fetched: %v", err)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}

	// Forged key ids do not make it fetch more than once per MinRefresh.
	clk.add(2 * time.Minute)
	for range 5 {
		_, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, "forged", keycloakClaims(), rotated))
		if !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("forged kid: %v, want ErrUnknownKey", err)
		}
	}
	if n := p.fetches.Load(); n != 3 {
		t.Errorf("fetches = %d, want 3", n)
	}

	// A provider outage after the keys went stale still serves the cached keys.
	p.set(true)
	clk.add(2 * time.Hour)
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodEdDSA, "new", keycloakClaims(), rotated)); err != nil {
		t.Errorf("cached key refused during outage: %v", err)
	}
}

// TestJWKSFetchOutlivesCaller: a caller who leaves while the set is being
// fetched does not fail the fetch for the others (a failure would hold the
// next fetch off for MinRefresh, refusing every token until then).
func TestJWKSFetchOutlivesCaller(t *testing.T) {
	t.Parallel()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProvider{}
	p.set(false, edJWK("k1", pub))
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	keys := NewJWKS(srv.URL, JWKSOptions{Client: srv.Client(), Now: fixedClock(t0), MinRefresh: time.Hour})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	keys.Key(gone, "k1")
	if _, err := keys.Key(context.Background(), "k1"); err != nil {
		t.Fatalf("after a caller left: %v", err)
	}
}

func TestJWKSProviderDown(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	p := &fakeProvider{}
	p.set(true)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	v := NewVerifier(NewJWKS(srv.URL, JWKSOptions{Client: srv.Client()}), "https://sso.example/realms/clinic", "clinic-api", fixedClock(t0), 0)
	_, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodEdDSA, "k", keycloakClaims(), key))
	if !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Verify = %v, want ErrInvalidToken", err)
	}
}

func TestJWKParseRejectsBadKeys(t *testing.T) {
	t.Parallel()
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, k := range map[string]jwk{
		"short ed":      {Kty: "OKP", Crv: "Ed25519", X: enc([]byte("short"))},
		"x25519":        {Kty: "OKP", Crv: "X25519", X: enc(make([]byte, 32))},
		"off curve":     {Kty: "EC", Crv: "P-256", X: enc(make([]byte, 32)), Y: enc(make([]byte, 32))},
		"unknown curve": {Kty: "EC", Crv: "P-192"},
		"small rsa":     {Kty: "RSA", N: enc(small.N.Bytes()), E: enc([]byte{1, 0, 1})},
		"symmetric":     {Kty: "oct"},
		"bad base64":    {Kty: "OKP", Crv: "Ed25519", X: "!!"},
	} {
		if _, err := k.publicKey(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

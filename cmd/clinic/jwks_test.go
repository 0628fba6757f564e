package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestServeWithJWKS runs the clinic against an OIDC provider's JWKS (as
// with Keycloak): its tokens are accepted, with roles from
// realm_access.roles, and the data folder's own tokens are not.
func TestServeWithJWKS(t *testing.T) {
	t.Parallel()
	sign, jwk := providerKey(t)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{jwk}})
	}))
	t.Cleanup(jwks.Close)
	const issuer = "https://sso.example/realms/clinic"
	p := startClinic(t, "--jwks-url", jwks.URL, "--issuer", issuer, "--audience", "clinic-api")

	if code, _ := p.do(t, "GET", "/api/v1/doctors", sign(issuer, "nurse-kim", "staff"), nil, nil); code != http.StatusOK {
		t.Errorf("provider's staff token = %d, want 200", code)
	}
	day := workingDays(t, 1)[0]
	open := map[string]any{"opens": "09:00", "closes": "12:00", "slotMinutes": 30, "capacity": 1}
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, sign(issuer, "nurse-kim", "offline_access"), open, nil); code != http.StatusForbidden {
		t.Errorf("provider's token without the staff role on a staff route = %d, want 403", code)
	}
	if code, _ := p.do(t, "GET", "/api/v1/doctors", p.token(t, "staff", "nurse-kim"), nil, nil); code != http.StatusUnauthorized {
		t.Errorf("data-folder token while on JWKS = %d, want 401", code)
	}
}

// TestServeWithOIDCDiscovery runs the clinic with only the provider's
// issuer URL, as with Keycloak: discovery finds the JWKS, the provider's
// tokens are accepted with their realm roles (a vet may record, not book),
// tokens of another issuer are refused, and while the provider does not
// answer a token gets 503 (it may be fine; nobody can tell), not 401. The
// provider starting late is picked up without a restart.
func TestServeWithOIDCDiscovery(t *testing.T) {
	t.Parallel()
	sign, jwk := providerKey(t)
	var up atomic.Bool
	var provider *httptest.Server
	provider = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/realms/clinic/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{
				"issuer": provider.URL + "/realms/clinic", "jwks_uri": provider.URL + "/realms/clinic/certs",
				"authorization_endpoint": provider.URL + "/realms/clinic/auth", "token_endpoint": provider.URL + "/realms/clinic/token",
				"id_token_signing_alg_values_supported": []string{"ES256"},
			})
		case "/realms/clinic/certs":
			json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{jwk}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(provider.Close)
	issuer := provider.URL + "/realms/clinic"
	p := startClinic(t, "--oidc-issuer", issuer, "--audience", "clinic-api")

	vet := sign(issuer, "dr-kim", "vet", "offline_access")
	if code, body := p.do(t, "GET", "/api/v1/doctors", vet, nil, nil); code != http.StatusServiceUnavailable {
		t.Errorf("with the provider down: %d %s, want 503", code, body)
	}
	up.Store(true)
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := p.do(t, "GET", "/api/v1/doctors", vet, nil, nil)
		if code == http.StatusOK {
			break
		}
		if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("once the provider answers: %d %s, want 200", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	day := workingDays(t, 1)[0]
	open := map[string]any{"opens": "09:00", "closes": "12:00", "slotMinutes": 30, "capacity": 1}
	if code, body := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, vet, open, nil); code != http.StatusForbidden {
		t.Errorf("a vet opening a day = %d %s, want 403", code, body)
	}
	if code, body := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, sign(issuer, "dr-kim", "reception"), open, nil); code != http.StatusOK && code != http.StatusCreated {
		t.Errorf("reception opening a day = %d %s, want 2xx", code, body)
	}
	if code, _ := p.do(t, "GET", "/api/v1/doctors", sign("https://elsewhere.example/realms/clinic", "dr-kim", "staff"), nil, nil); code != http.StatusUnauthorized {
		t.Errorf("a token of another issuer = %d, want 401", code)
	}
	if code, _ := p.do(t, "GET", "/api/v1/doctors", p.token(t, "staff", "nurse-kim"), nil, nil); code != http.StatusUnauthorized {
		t.Errorf("data-folder token while on OIDC = %d, want 401", code)
	}
}

// providerKey makes an OIDC provider's signing key, ES256 with key id kc-1,
// and returns a signer of its tokens for the audience clinic-api (the roles
// in realm_access.roles, as Keycloak puts them) and the key's public half as
// a JWK.
func providerKey(t *testing.T) (sign func(iss, sub string, roles ...string) string, jwk map[string]string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	sign = func(iss, sub string, roles ...string) string {
		t.Helper()
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": iss, "aud": "clinic-api", "sub": sub, "exp": time.Now().Add(time.Hour).Unix(),
			"realm_access": map[string]any{"roles": roles},
		})
		tok.Header["kid"] = "kc-1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	enc := base64.RawURLEncoding.EncodeToString
	return sign, map[string]string{"kid": "kc-1", "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256",
		"x": enc(pub[1:33]), "y": enc(pub[33:])}
}

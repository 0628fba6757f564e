package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestServeWithJWKS runs the clinic against an OIDC provider's JWKS (as
// with Keycloak): its tokens are accepted, with roles from
// realm_access.roles, and the data folder's own tokens are not.
func TestServeWithJWKS(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kid": "kc-1", "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256",
			"x": enc(pub[1:33]), "y": enc(pub[33:]),
		}}})
	}))
	t.Cleanup(jwks.Close)
	const issuer = "https://sso.example/realms/clinic"
	p := startClinic(t, "--jwks-url", jwks.URL, "--issuer", issuer, "--audience", "clinic-api")

	sign := func(roles ...string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": issuer, "aud": "clinic-api", "sub": "nurse-kim", "exp": time.Now().Add(time.Hour).Unix(),
			"realm_access": map[string]any{"roles": roles},
		})
		tok.Header["kid"] = "kc-1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if code, _ := p.do(t, "GET", "/api/v1/doctors", sign("staff"), nil, nil); code != http.StatusOK {
		t.Errorf("provider's staff token = %d, want 200", code)
	}
	day := workingDays(t, 1)[0]
	open := map[string]any{"opens": "09:00", "closes": "12:00", "slotMinutes": 30, "capacity": 1}
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, sign("offline_access"), open, nil); code != http.StatusForbidden {
		t.Errorf("provider's token without the staff role on a staff route = %d, want 403", code)
	}
	if code, _ := p.do(t, "GET", "/api/v1/doctors", p.token(t, "staff", "nurse-kim"), nil, nil); code != http.StatusUnauthorized {
		t.Errorf("data-folder token while on JWKS = %d, want 401", code)
	}
}

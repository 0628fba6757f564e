package httpapi

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/auth"
)

// everyPartServer is the API with every part registered (on fakes that
// are never reached past authentication), so its router lists every route.
func everyPartServer(t *testing.T, a testAuth) *Server {
	t.Helper()
	return New(Config{Verifier: a.verifier, Clinic: testClinic(t), Commands: &fakeCommands{},
		Lookup: emptyLookup{}, Notifications: &fakeNotifications{}, Admin: &fakeAdmin{}, StatusLinks: testLinks(t)})
}

// Routes that need no token at all, and those any signed-in caller (a
// customer too) may use. Every other route is for staff only: a route
// added later is a staff route unless it is named here.
var (
	publicRoutes = map[string]bool{"GET /healthz": true, "HEAD /healthz": true, "GET /readyz": true, "HEAD /readyz": true,
		"GET /metrics": true, "GET /problems/:slug": true, "GET /api/v1/openapi.json": true,
		// The status page and its data: the link's token is the credential.
		"GET /api/v1/status/:token": true, "GET /status/": true, "GET /status/:token": true}
	customerRoutes = map[string]bool{"GET /api/v1/doctors": true, "GET /api/v1/fees": true,
		"GET /api/v1/lookup/reservations": true, "GET /api/v1/lookup/reservations/:id": true}
	// optionalTokenRoutes take callers without a token (who prove
	// themselves otherwise) but refuse a bad token.
	optionalTokenRoutes = map[string]bool{"GET /api/v1/lookup/reservations/:id": true}
)

var pathParam = regexp.MustCompile(`:[A-Za-z]+`)

// concretePath fills a route's parameters with plausible values.
func concretePath(route string) string {
	return pathParam.ReplaceAllStringFunc(route, func(p string) string {
		switch p {
		case ":date":
			return "2026-12-01"
		case ":doctorID":
			return "dr-kim"
		case ":name":
			return "lookup"
		case ":phone":
			return "010-1234-5678"
		}
		return uuid.NewString()
	})
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	k, err := auth.LoadOrCreateKey(auth.KeyPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newKeyedAuth is testAuth with its signing key, to sign bad claims with
// the right key.
func newKeyedAuth(t *testing.T) (testAuth, ed25519.PrivateKey) {
	t.Helper()
	k := newKey(t)
	iss := auth.NewIssuer(k, auth.DefaultIssuer, auth.DefaultAudience, time.Now)
	return testAuth{iss, auth.NewVerifier(iss.Keys(), auth.DefaultIssuer, auth.DefaultAudience, time.Now, 0)}, k
}

// badTokens are tokens that must each be refused with 401 on every route
// that takes a token; right is the key a's tokens are signed with.
func badTokens(t *testing.T, a testAuth, right ed25519.PrivateKey) map[string]string {
	t.Helper()
	now := time.Now()
	key := func() ed25519.PrivateKey { return newKey(t) }
	issue := func(i *auth.Issuer, ttl time.Duration) string {
		tok, err := i.Issue("nurse-kim", auth.RoleStaff, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := issue(a.issuer, time.Hour)
	kid := a.issuer.Keys()
	var pub ed25519.PublicKey
	var keyID string
	for k, v := range kid {
		keyID, pub = k, v.(ed25519.PublicKey)
	}
	claims := jwt.MapClaims{"iss": auth.DefaultIssuer, "aud": auth.DefaultAudience, "sub": "nurse-kim",
		"roles": []string{auth.RoleStaff}, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	hmac := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		tok.Header["kid"] = keyID
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": keyID})
	body, _ := json.Marshal(claims)
	parts := strings.Split(good, ".")
	return map[string]string{
		"expired":                               issue(auth.NewIssuer(key(), auth.DefaultIssuer, auth.DefaultAudience, func() time.Time { return now.Add(-2 * time.Hour) }), time.Hour),
		"not yet valid":                         issue(auth.NewIssuer(key(), auth.DefaultIssuer, auth.DefaultAudience, func() time.Time { return now.Add(time.Hour) }), time.Hour),
		"another key":                           issue(auth.NewIssuer(key(), auth.DefaultIssuer, auth.DefaultAudience, time.Now), time.Hour),
		"alg none":                              enc.EncodeToString(header) + "." + enc.EncodeToString(body) + ".",
		"HS256 keyed with the public key (raw)": hmac(pub),
		"HS256 keyed with the public key (PEM)": hmac(pubPEM),
		"wrong issuer":                          issue(auth.NewIssuer(right, "someone-else", auth.DefaultAudience, time.Now), time.Hour),
		"wrong audience":                        issue(auth.NewIssuer(right, auth.DefaultIssuer, "another-api", time.Now), time.Hour),
		"tampered claims":                       parts[0] + "." + enc.EncodeToString([]byte(strings.Replace(string(body), "nurse-kim", "dr-evil", 1))) + "." + parts[2],
		"no signature":                          parts[0] + "." + parts[1] + ".",
		"garbage":                               "not-a-token",
	}
}

// TestEveryRouteRefusesBadTokens walks the router: every route that takes
// a token refuses each bad token with 401 problem+json and
// WWW-Authenticate, a missing token with 401 (but for the routes that take
// other proof), and a customer's token on a staff route with 403.
func TestEveryRouteRefusesBadTokens(t *testing.T) {
	t.Parallel()
	a, right := newKeyedAuth(t)
	s := everyPartServer(t, a)
	bad := badTokens(t, a, right)
	customer := a.token(t, "010-1234-5678", auth.RoleCustomer)
	routes := s.engine.Routes()
	if len(routes) < 30 {
		t.Fatalf("the router lists %d routes; is every part registered?", len(routes))
	}
	expect := func(route, method, path, token, name string, want int) {
		t.Helper()
		code, hdr, body := call(t, s, method, path, token, "")
		if code != want {
			t.Errorf("%s with %s: %d %s, want %d", route, name, code, body, want)
			return
		}
		p := decodeProblem(t, hdr, body)
		if p.Status != want {
			t.Errorf("%s with %s: problem %+v", route, name, p)
		}
		if want == http.StatusUnauthorized && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s with %s: WWW-Authenticate %q", route, name, hdr.Get("WWW-Authenticate"))
		}
	}
	checked := 0
	for _, r := range routes {
		route := r.Method + " " + r.Path
		if publicRoutes[route] {
			continue
		}
		checked++
		path := concretePath(r.Path)
		if !optionalTokenRoutes[route] {
			expect(route, r.Method, path, "", "no token", http.StatusUnauthorized)
		}
		for name, tok := range bad {
			expect(route, r.Method, path, tok, name, http.StatusUnauthorized)
		}
		if !customerRoutes[route] {
			expect(route, r.Method, path, customer, "a customer token", http.StatusForbidden)
		}
	}
	// The same routes let a good staff token past authentication, so the
	// refusals above are the tokens' doing.
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	for _, r := range routes {
		if code, _, body := call(t, s, r.Method, concretePath(r.Path), staff, ""); code == http.StatusUnauthorized || code == http.StatusForbidden {
			t.Errorf("%s %s with a staff token: %d %s", r.Method, r.Path, code, body)
		}
	}
	t.Logf("%d routes x %d bad tokens, no token and a customer token", checked, len(bad))
}

// TestCrossCustomerReadsLookAlike: a customer reading another customer's
// reservation (by its id, by the id with their own phone as proof, through
// the list) gets exactly what a guessed id gets: 404 with the same body,
// and no time difference worth measuring. The timing check compares
// medians of many interleaved requests with a generous ratio, so a noisy
// shared machine does not make it flake; a real leak (a read that stops
// early on a missing document, say) would show as a steady gap.
func TestCrossCustomerReadsLookAlike(t *testing.T) {
	t.Parallel()
	const alice, bob = "010-1111-2222", "010-3333-4444"
	f := newLookupFixture(t, alice, bob)
	aliceTok := f.auth.token(t, alice, auth.RoleCustomer)
	bobsID := "/api/v1/lookup/reservations/" + f.ids[bob].String()
	guess := func() string { return "/api/v1/lookup/reservations/" + uuid.NewString() }
	cases := []struct {
		name  string
		path  func() string
		token string
		hdr   []string
	}{
		{"another's id", func() string { return bobsID }, aliceTok, nil},
		{"a guessed id", guess, aliceTok, nil},
		{"another's id, my phone as proof", func() string { return bobsID }, "", []string{"X-Customer-Phone", alice}},
		{"a guessed id, my phone as proof", guess, "", []string{"X-Customer-Phone", alice}},
	}
	const rounds = 300
	took := make([][]time.Duration, len(cases))
	var shape string
	for i := range rounds {
		for c, tc := range cases { // interleaved, so drift hits every case alike
			start := time.Now()
			code, hdr, body := call(t, f.h, "GET", tc.path(), tc.token, "", tc.hdr...)
			took[c] = append(took[c], time.Since(start))
			if i > 0 {
				continue
			}
			if code != http.StatusNotFound {
				t.Fatalf("%s: %d %s, want 404", tc.name, code, body)
			}
			p := decodeProblem(t, hdr, body)
			p.Instance = ""
			b, _ := json.Marshal(p)
			if shape == "" {
				shape = string(b)
			} else if string(b) != shape {
				t.Fatalf("%s: 404 %s differs from %s", tc.name, b, shape)
			}
		}
	}
	medians := make([]time.Duration, len(cases))
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for c := range cases {
		slices.Sort(took[c])
		medians[c] = took[c][rounds/2]
		lo, hi = min(lo, medians[c]), max(hi, medians[c])
	}
	t.Logf("median of %d requests each: %v", rounds, medians)
	if hi > 3*lo {
		t.Errorf("medians %v differ by more than 3x: the answer's time tells the cases apart", medians)
	}

	// The list is the caller's own, whatever phone it names.
	for _, q := range []string{"", "?phone=" + bob, "?phone=" + alice} {
		code, _, body := call(t, f.h, "GET", "/api/v1/lookup/reservations"+q, aliceTok, "")
		var list reservationsResponse
		if code != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list.Reservations) != 1 || list.Reservations[0].ID != f.ids[alice].String() {
			t.Errorf("alice's list%s: %d %s", q, code, body)
		}
	}
}

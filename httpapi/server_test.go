package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/httpapi/openapitest"
)

// testAuth issues real tokens with a key in a temp folder.
type testAuth struct {
	issuer   *auth.Issuer
	verifier *auth.Verifier
}

func newTestAuth(t *testing.T) testAuth { return newTestAuthTB(t) }

func newTestAuthTB(t testing.TB) testAuth {
	t.Helper()
	key, err := auth.LoadOrCreateKey(auth.KeyPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	iss := auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now)
	return testAuth{iss, auth.NewVerifier(iss.Keys(), auth.DefaultIssuer, auth.DefaultAudience, time.Now, 0)}
}

func (a testAuth) token(t *testing.T, subject, role string) string {
	t.Helper()
	tok, err := a.issuer.Issue(subject, role, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// contract is the served OpenAPI document, loaded once for every test.
var contract = sync.OnceValues(func() (*openapitest.Validator, error) {
	doc, err := OpenAPIDocument()
	if err != nil {
		return nil, err
	}
	return openapitest.New(doc)
})

// checked returns h with every exchange validated against the OpenAPI
// document: a request or answer that breaks it fails t.
func checked(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	v, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	return v.Handler(t, h)
}

// call sends one request to h and returns the status, headers and body.
// The exchange is validated against the OpenAPI document.
func call(t testing.TB, h http.Handler, method, path, token, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	return rawCall(t, checked(t, h), method, path, token, body, hdr...)
}

// rawCall is call without the contract, for the few tests that add routes
// of their own to the router (a panicking handler, a test-only route).
func rawCall(t testing.TB, h http.Handler, method, path, token, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Header(), w.Body.Bytes()
}

func decodeProblem(t *testing.T, hdr http.Header, body []byte) problem {
	t.Helper()
	if ct := hdr.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, body)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	return p
}

func TestProbesNeedNoToken(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	ready := errors.New("store down")
	s := New(Config{Verifier: a.verifier, Ready: []ReadyCheck{{"eventstore", func(context.Context) error { return ready }}}})
	if code, _, _ := call(t, s, "GET", "/healthz", "", ""); code != http.StatusOK {
		t.Errorf("healthz = %d", code)
	}
	code, hdr, _ := call(t, s, "GET", "/readyz", "", "")
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Errorf("readyz with the store down = %d, Retry-After %q", code, hdr.Get("Retry-After"))
	}
	s2 := New(Config{Verifier: a.verifier, Ready: []ReadyCheck{{"eventstore", func(context.Context) error { return nil }}}})
	if code, _, _ := call(t, s2, "GET", "/readyz", "", ""); code != http.StatusOK {
		t.Errorf("readyz = %d", code)
	}
}

// TestProbesAnswerHEADAndProblems: HEAD /healthz and /readyz answer as GET
// does without a body (not 405), and a /readyz that is not ready is
// problem+json not-ready saying why, with Retry-After.
func TestProbesAnswerHEADAndProblems(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	down := New(Config{Verifier: a.verifier, RetryAfter: 3 * time.Second, Ready: []ReadyCheck{{"eventstore", func(context.Context) error { return errors.New("store down") }}}})
	up := New(Config{Verifier: a.verifier, Ready: []ReadyCheck{{"eventstore", func(context.Context) error { return nil }}}})
	for _, c := range []struct {
		h    http.Handler
		path string
		code int
	}{{up, "/healthz", 200}, {up, "/readyz", 200}, {down, "/healthz", 200}, {down, "/readyz", 503}} {
		code, hdr, body := call(t, c.h, "HEAD", c.path, "", "")
		if code != c.code || len(body) != 0 || hdr.Get("Content-Type") == "" {
			t.Errorf("HEAD %s = %d %v %q; want %d with a Content-Type and no body", c.path, code, hdr, body, c.code)
		}
		if c.code == 503 && hdr.Get("Retry-After") != "3" {
			t.Errorf("HEAD %s: Retry-After %q, want 3", c.path, hdr.Get("Retry-After"))
		}
	}
	code, hdr, body := call(t, down, "GET", "/readyz", "", "")
	var p problem
	if code != 503 || hdr.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil ||
		p.Type != "/problems/not-ready" || p.Status != 503 || p.Detail != "the event store is not reachable" || hdr.Get("Retry-After") != "3" {
		t.Errorf("GET /readyz not ready = %d %v %s; want 503 problem+json not-ready saying why", code, hdr, body)
	}
}

// TestReadyzListsEachCheck: /readyz runs every check, names each with its
// verdict, and gives the first failure's reason as the detail.
func TestReadyzListsEachCheck(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	ok := func(context.Context) error { return nil }
	for _, tc := range []struct {
		name       string
		checks     []ReadyCheck
		wantCode   int
		wantFailed map[string]string // check -> part of its detail
	}{
		{"all pass", []ReadyCheck{{"eventstore", ok}, {"readmodel lookup", ok}}, http.StatusOK, nil},
		{"lagging read model", []ReadyCheck{{"eventstore", ok}, {"readmodel lookup", func(context.Context) error {
			return &LagError{ReadModel: "lookup", Lag: 12 * time.Second, Max: 10 * time.Second}
		}}}, http.StatusServiceUnavailable, map[string]string{"readmodel lookup": "lookup is 12s behind"}},
		{"shutting down and breaker open", []ReadyCheck{{"shutdown", func(context.Context) error { return ErrShuttingDown }},
			{"breaker", func(context.Context) error { return ErrBreakerOpen }}, {"eventstore", ok}},
			http.StatusServiceUnavailable, map[string]string{"shutdown": "shutting down", "breaker": "circuit breaker open"}},
		{"a check that hangs", []ReadyCheck{{"eventstore", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}},
			http.StatusServiceUnavailable, map[string]string{"eventstore": "not reachable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(Config{Verifier: a.verifier, Ready: tc.checks})
			code, _, body := call(t, s, "GET", "/readyz", "", "")
			if code != tc.wantCode {
				t.Fatalf("readyz = %d, want %d: %s", code, tc.wantCode, body)
			}
			var got struct {
				Status any // "ready", or the problem's 503
				Checks []readyResult
				Detail string
				Type   string
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Checks) != len(tc.checks) {
				t.Fatalf("checks %+v, want one per check", got.Checks)
			}
			for i, c := range got.Checks {
				if c.Name != tc.checks[i].Name {
					t.Errorf("check %d is %q, want %q", i, c.Name, tc.checks[i].Name)
				}
				want, failed := tc.wantFailed[c.Name]
				if failed != (c.Status == "failed") || (failed && !strings.Contains(c.Detail, want)) {
					t.Errorf("check %s = %+v, want failed %v with %q", c.Name, c, failed, want)
				}
			}
			if (code == http.StatusOK) != (got.Status == "ready" && got.Detail == "" && got.Type == "") {
				t.Errorf("status %v detail %q type %q with code %d", got.Status, got.Detail, got.Type, code)
			}
			if code != http.StatusOK && (got.Type != "/problems/not-ready" || !strings.Contains(got.Detail, tc.wantFailed[got.Checks[firstFailed(got.Checks)].Name])) {
				t.Errorf("not ready: type %q detail %q, want not-ready with the first failed check's reason", got.Type, got.Detail)
			}
		})
	}
}

func firstFailed(cs []readyResult) int {
	for i, c := range cs {
		if c.Status == "failed" {
			return i
		}
	}
	return 0
}

func TestAuthMiddleware(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	other := newTestAuth(t)
	s := New(Config{Verifier: a.verifier})
	s.engine.GET("/api/v1/test-staff", s.authenticate, s.allow(auth.StaffRoles...), func(c *gin.Context) {
		respond(c, http.StatusOK, map[string]string{"sub": principal(c).Subject})
	})
	for _, c := range []struct {
		name, token string
		hdr         []string
		want        int
	}{
		{"no token", "", nil, http.StatusUnauthorized},
		{"basic auth", "", []string{"Authorization", "Basic Zm9vOmJhcg=="}, http.StatusUnauthorized},
		{"garbage", "garbage", nil, http.StatusUnauthorized},
		{"other key", other.token(t, "nurse-kim", auth.RoleStaff), nil, http.StatusUnauthorized},
		{"customer", a.token(t, "010-1234-5678", auth.RoleCustomer), nil, http.StatusForbidden},
		{"staff", a.token(t, "nurse-kim", auth.RoleStaff), nil, http.StatusOK},
	} {
		code, hdr, body := rawCall(t, s, "GET", "/api/v1/test-staff", c.token, "", c.hdr...)
		if code != c.want {
			t.Errorf("%s: status %d, want %d; body %s", c.name, code, c.want, body)
			continue
		}
		if code == http.StatusUnauthorized && hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
		if code >= 400 {
			if p := decodeProblem(t, hdr, body); p.Status != code || p.Type == "" || p.Title == "" {
				t.Errorf("%s: problem %+v", c.name, p)
			}
		}
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	s := New(Config{Verifier: newTestAuth(t).verifier})
	code, hdr, body := call(t, s, "GET", "/nope", "", "")
	if p := decodeProblem(t, hdr, body); code != http.StatusNotFound || p.Type != kindNotFound.uri() {
		t.Errorf("unknown route: %d %+v", code, p)
	}
	code, hdr, body = call(t, s, "POST", "/healthz", "", "")
	if p := decodeProblem(t, hdr, body); code != http.StatusMethodNotAllowed || p.Status != code {
		t.Errorf("wrong method: %d %+v", code, p)
	}
	code, _, body = call(t, s, "GET", "/problems/"+kindStale.slug, "", "")
	if code != http.StatusOK || !strings.Contains(string(body), kindStale.title) {
		t.Errorf("problem page: %d %s", code, body)
	}
}

func TestPanicBecomesLogged500(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	s := New(Config{Verifier: newTestAuth(t).verifier, Logger: newTextLogger(&logs)})
	s.engine.GET("/boom", func(*gin.Context) { panic("kaboom") })
	code, hdr, body := rawCall(t, s, "GET", "/boom", "", "")
	p := decodeProblem(t, hdr, body)
	if code != http.StatusInternalServerError || p.Type != kindInternal.uri() || strings.Contains(string(body), "kaboom") {
		t.Errorf("panic: %d %s", code, body)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Errorf("the panic was not logged: %s", logs.String())
	}
}

func TestMetricsCountRequests(t *testing.T) {
	t.Parallel()
	s := New(Config{Verifier: newTestAuth(t).verifier})
	call(t, s, "GET", "/healthz", "", "")
	call(t, s, "GET", "/healthz", "", "")
	call(t, s, "GET", "/api/v1/doctors/x", "", "")
	_, _, body := call(t, s, "GET", "/metrics", "", "")
	for _, want := range []string{
		`clinic_http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`clinic_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 2`,
		`route="unmatched",status="404"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
}

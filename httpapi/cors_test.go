package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/commands"
)

const appOrigin = "https://app.example.com"

func corsHeaderNames(hdr http.Header) []string {
	var out []string
	for k := range hdr {
		if strings.HasPrefix(k, "Access-Control-") {
			out = append(out, k)
		}
	}
	return out
}

func listHas(header, want string) bool {
	for _, v := range strings.Split(header, ",") {
		if strings.EqualFold(strings.TrimSpace(v), want) {
			return true
		}
	}
	return false
}

// TestCORSPreflightOfAConfiguredOrigin: a browser's preflight from a
// configured origin is answered 204 with what the app may send, before
// routing and without a token.
func TestCORSPreflightOfAConfiguredOrigin(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	s := New(Config{Verifier: a.verifier, Clinic: testClinic(t), Commands: &fakeCommands{}, CORSOrigins: []string{appOrigin + "/"}})
	for _, path := range []string{"/api/v1/reservations", "/api/v1/medical-records/" + resUUID + "/treatments/1"} {
		// Preflights are answered before routing, outside the OpenAPI contract.
		code, hdr, body := rawCall(t, s, "OPTIONS", path, "", "", "Origin", appOrigin,
			"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "authorization,content-type,idempotency-key,if-match")
		if code != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("preflight of %s: %d %s, want 204", path, code, body)
		}
		if got := hdr.Get("Access-Control-Allow-Origin"); got != appOrigin {
			t.Errorf("Allow-Origin %q", got)
		}
		for _, m := range []string{"GET", "POST", "PUT"} {
			if !listHas(hdr.Get("Access-Control-Allow-Methods"), m) {
				t.Errorf("Allow-Methods %q lacks %s", hdr.Get("Access-Control-Allow-Methods"), m)
			}
		}
		for _, h := range []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Customer-Phone"} {
			if !listHas(hdr.Get("Access-Control-Allow-Headers"), h) {
				t.Errorf("Allow-Headers %q lacks %s", hdr.Get("Access-Control-Allow-Headers"), h)
			}
		}
		if hdr.Get("Access-Control-Max-Age") != "600" {
			t.Errorf("Max-Age %q", hdr.Get("Access-Control-Max-Age"))
		}
	}
}

// TestCORSAnswersExposeWhatClientsRead: answers to a configured origin,
// errors included, name the origin and expose the headers a client reads.
func TestCORSAnswersExposeWhatClientsRead(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	placed := &fakeCommands{place: func(context.Context, commands.PlaceReservation) (commands.PlaceResult, error) {
		return commands.PlaceResult{ReservationID: uuid.New(), MedicalRecordID: uuid.New(), Result: commands.Result{Revision: 0, Position: 7}}, nil
	}}
	s := New(Config{Verifier: a.verifier, Clinic: testClinic(t), Commands: placed, CORSOrigins: []string{"http://localhost:3000", appOrigin}})
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	for _, c := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"a read", "GET", "/api/v1/doctors", staff, "", http.StatusOK},
		{"a command", "POST", "/api/v1/reservations", staff, placeBody("dr-kim", "2026-12-01T10:00:00+09:00"), http.StatusCreated},
		{"no token", "GET", "/api/v1/doctors", "", "", http.StatusUnauthorized},
		{"the contract", "GET", "/api/v1/openapi.json", "", "", http.StatusOK},
	} {
		code, hdr, body := call(t, s, c.method, c.path, c.token, c.body, "Origin", appOrigin)
		if code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, body, c.want)
			continue
		}
		if got := hdr.Get("Access-Control-Allow-Origin"); got != appOrigin {
			t.Errorf("%s: Allow-Origin %q", c.name, got)
		}
		for _, h := range []string{"Location", "ETag", "X-View-Position", "Retry-After", "WWW-Authenticate"} {
			if !listHas(hdr.Get("Access-Control-Expose-Headers"), h) {
				t.Errorf("%s: Expose-Headers %q lacks %s", c.name, hdr.Get("Access-Control-Expose-Headers"), h)
			}
		}
	}
}

// TestCORSRefusesOtherOrigins: an origin that is not configured (and any
// origin when none is, the default) gets no CORS headers: its preflight is
// an OPTIONS like any other (405 problem+json), and its requests are served
// without the headers that would let its page read them.
func TestCORSRefusesOtherOrigins(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	for name, origins := range map[string][]string{"none configured": nil, "another configured": {appOrigin}} {
		s := New(Config{Verifier: a.verifier, Clinic: testClinic(t), Commands: &fakeCommands{}, CORSOrigins: origins})
		for _, origin := range []string{"https://evil.example", "https://app.example.com.evil.example", "null"} {
			code, hdr, body := call(t, s, "OPTIONS", "/api/v1/reservations", "", "", "Origin", origin, "Access-Control-Request-Method", "POST")
			if code != http.StatusMethodNotAllowed || len(corsHeaderNames(hdr)) > 0 {
				t.Errorf("%s: preflight from %s: %d %v %s", name, origin, code, corsHeaderNames(hdr), body)
			}
			decodeProblem(t, hdr, body)
			code, hdr, body = call(t, s, "GET", "/api/v1/doctors", staff, "", "Origin", origin)
			if code != http.StatusOK || len(corsHeaderNames(hdr)) > 0 {
				t.Errorf("%s: GET from %s: %d %v %s", name, origin, code, corsHeaderNames(hdr), body)
			}
		}
	}
}

func TestValidOrigin(t *testing.T) {
	t.Parallel()
	for _, o := range []string{"https://app.example.com", "http://localhost:3000", "https://[::1]:8443"} {
		if err := ValidOrigin(o); err != nil {
			t.Errorf("%s: %v", o, err)
		}
	}
	for _, o := range []string{"", "*", "app.example.com", "ftp://app.example.com", "https://app.example.com/path",
		"https://user@app.example.com", "https://app.example.com?x=1", "https://"} {
		if err := ValidOrigin(o); err == nil {
			t.Errorf("%q accepted", o)
		}
	}
	if ok, bad := corsOrigins([]string{" https://a.example/ ", "*"}); !slices.Equal(ok, []string{"https://a.example"}) || !slices.Equal(bad, []string{"*"}) {
		t.Errorf("corsOrigins: %v %v", ok, bad)
	}
}

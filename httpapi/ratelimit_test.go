package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/queries"
)

// emptyLookup finds nothing. Methods a test does not expect panic (the nil
// embedded interface).
type emptyLookup struct{ LookupService }

func (emptyLookup) ReservationJSON(context.Context, queries.Viewer, string, uint64) ([]byte, uint64, error) {
	return nil, 0, queries.ErrNotFound
}

func (emptyLookup) Reservations(context.Context, queries.Viewer, string, uint64) ([]lookup.Reservation, uint64, error) {
	return nil, 0, nil
}

// NextCommit: the empty read side cannot be read, so a stream answers 503.
func (emptyLookup) NextCommit(context.Context, map[string]uint64) (map[string]uint64, error) {
	return nil, errors.New("no read store")
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestLookupRateLimit: a client address gets its burst of lookups, then
// 429 problem+json with Retry-After until its bucket refills; the lookups
// by id and by phone share the bucket, another address has its own, and
// staff are not limited.
func TestLookupRateLimit(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	s := New(Config{Verifier: a.verifier, Now: clock.now, Lookup: emptyLookup{}, LookupLimit: RateLimit{Rate: 0.5, Burst: 3}})
	customer := a.token(t, "010-1111-2222", auth.RoleCustomer)
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	byID := "/api/v1/lookup/reservations/" + uuid.NewString()
	get := func(path, token, from string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = from
		req.Header.Set("X-Customer-Phone", "010-1111-2222")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	const mallory, other = "203.0.113.7:4000", "198.51.100.9:4000"
	for i, tc := range []struct{ path, token string }{{byID, ""}, {"/api/v1/lookup/reservations", customer}, {byID, customer}} {
		if w := get(tc.path, tc.token, mallory); w.Code == http.StatusTooManyRequests {
			t.Fatalf("lookup %d within the burst: 429", i)
		}
	}
	for _, path := range []string{byID, "/api/v1/lookup/reservations"} {
		w := get(path, customer, mallory)
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("%s over the burst: %d %s, want 429", path, w.Code, w.Body)
		}
		if p := decodeProblem(t, w.Header(), w.Body.Bytes()); p.Type != "/problems/too-many-requests" || p.Status != 429 {
			t.Fatalf("problem %+v", p)
		}
		if got := w.Header().Get("Retry-After"); got != "2" {
			t.Fatalf("Retry-After %q, want 2 (one token at 0.5/s)", got)
		}
	}
	// Same address on another port, and an IPv4-mapped spelling: the same client.
	for _, from := range []string{"203.0.113.7:5000", "[::ffff:203.0.113.7]:6000"} {
		if w := get(byID, "", from); w.Code != http.StatusTooManyRequests {
			t.Errorf("from %s: %d, want 429 (the same address)", from, w.Code)
		}
	}
	if w := get(byID, "", other); w.Code != http.StatusNotFound {
		t.Errorf("another address: %d, want 404", w.Code)
	}
	for range 10 {
		if w := get(byID, staff, mallory); w.Code != http.StatusNotFound {
			t.Fatalf("staff from the limited address: %d, want 404", w.Code)
		}
	}
	clock.add(2 * time.Second)
	if w := get(byID, "", mallory); w.Code != http.StatusNotFound {
		t.Errorf("after Retry-After: %d, want 404", w.Code)
	}
	if w := get(byID, "", mallory); w.Code != http.StatusTooManyRequests {
		t.Errorf("the refill was one token: %d, want 429", w.Code)
	}
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"203.0.113.7:4000":           "203.0.113.7",
		"[::ffff:203.0.113.7]:1":     "203.0.113.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"not an address":             "not an address",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLimiterForgetsFullBuckets: the buckets of clients gone quiet are
// dropped, so a stream of new addresses does not grow memory without end.
func TestLimiterForgetsFullBuckets(t *testing.T) {
	t.Parallel()
	l := newClientLimiter(RateLimit{Rate: 1, Burst: 2})
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.allow(uuid.NewString(), now.Add(time.Duration(i)*time.Millisecond))
	}
	l.allow("late", now.Add(10*time.Second))
	if n := len(l.clients); n != 1 {
		t.Fatalf("%d buckets kept after the others filled up, want 1", n)
	}
}

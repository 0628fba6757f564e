package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/notice"
)

// fakeNotifications records the filters it is asked for.
type fakeNotifications struct {
	mu       sync.Mutex
	filters  []notice.Filter
	messages []notice.Message
	requeued int
	err      error
}

func (f *fakeNotifications) List(_ context.Context, fl notice.Filter) ([]notice.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, fl)
	return f.messages, f.err
}

func (f *fakeNotifications) RetryDead(_ context.Context, fl notice.Filter) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, fl)
	return f.requeued, f.err
}

func (f *fakeNotifications) lastFilter() notice.Filter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.filters[len(f.filters)-1]
}

// notificationsServer is a server with the notifications routes, registered
// as routes() registers them.
func notificationsServer(t *testing.T, a testAuth, n Notifications) *Server {
	t.Helper()
	s := New(Config{Verifier: a.verifier})
	api := s.engine.Group("/api/v1", s.authenticate)
	s.notificationsRoutes(s.roleGroups(api), n)
	return s
}

const resUUID = "7f1c3a8e-0000-4000-8000-000000000001"

func TestListNotifications(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	n := &fakeNotifications{messages: []notice.Message{{
		ID: "e1", Kind: notice.KindPlaced, ReservationID: resUUID, Position: 42, Locale: notice.Korean,
		To: "010-1234-5678", Text: "예약 확정", Status: notice.StatusSent, Tries: 2, CreatedAt: at, SentAt: at.Add(3 * time.Second),
		Attempts: []notice.Attempt{
			{At: at, Channel: "webhook", Duration: 1500 * time.Microsecond, Error: "503 Service Unavailable"},
			{At: at.Add(2 * time.Second), Channel: "webhook", Duration: 2 * time.Millisecond},
		},
	}}}
	s := notificationsServer(t, a, n)
	staff := a.token(t, "nurse-kim", auth.RoleStaff)

	code, _, body := call(t, s, "GET", "/api/v1/notifications?reservationId="+strings.ToUpper(resUUID)+"&limit=5", staff, "")
	if code != http.StatusOK {
		t.Fatalf("GET = %d %s", code, body)
	}
	if diff := cmp.Diff(notice.Filter{ReservationID: resUUID}, n.lastFilter()); diff != "" {
		t.Errorf("filter (-want +got):\n%s", diff)
	}
	var got map[string][]map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	m := got["notifications"][0]
	if m["to"] != "***-****-5678" || m["status"] != "sent" || m["kind"] != "reservation.placed" ||
		m["reservationId"] != resUUID || m["text"] != "예약 확정" || m["sentAt"] != "2026-11-30T01:00:03Z" || m["nextAttemptAt"] != nil {
		t.Errorf("notification = %v", m)
	}
	if atts := m["attempts"].([]any); len(atts) != 2 || atts[0].(map[string]any)["durationMs"] != 1.5 ||
		atts[0].(map[string]any)["error"] != "503 Service Unavailable" {
		t.Errorf("attempts = %v", m["attempts"])
	}
	if strings.Contains(string(body), "1234") {
		t.Errorf("the response carries the whole phone number: %s", body)
	}

	code, _, body = call(t, s, "GET", "/api/v1/notifications?status=dead", staff, "")
	if code != http.StatusOK || n.lastFilter() != (notice.Filter{Status: notice.StatusDead}) {
		t.Errorf("GET ?status=dead = %d %s, filter %+v", code, body, n.lastFilter())
	}
}

func TestListNotificationsRejectsBadInput(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	s := notificationsServer(t, a, &fakeNotifications{})
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	tests := []struct {
		query string
		field string
	}{
		{"reservationId=42", "reservationId"},
		{"reservationId=%27%3B--", "reservationId"},
		{"status=lost", "status"},
	}
	for _, tt := range tests {
		code, hdr, body := call(t, s, "GET", "/api/v1/notifications?"+tt.query, staff, "")
		if code != http.StatusUnprocessableEntity {
			t.Errorf("?%s = %d %s, want 422", tt.query, code, body)
			continue
		}
		p := decodeProblem(t, hdr, body)
		if len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
			t.Errorf("?%s errors = %+v, want one for %s", tt.query, p.Errors, tt.field)
		}
	}
}

func TestNotificationsAreForStaffOnly(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	s := notificationsServer(t, a, &fakeNotifications{})
	customer := a.token(t, "010-1234-5678", auth.RoleCustomer)
	if code, _, _ := call(t, s, "GET", "/api/v1/notifications?reservationId="+resUUID, customer, ""); code != http.StatusForbidden {
		t.Errorf("customer GET = %d, want 403", code)
	}
	if code, _, _ := call(t, s, "POST", "/api/v1/notifications/retry-dead", customer, ""); code != http.StatusForbidden {
		t.Errorf("customer POST retry-dead = %d, want 403", code)
	}
	if code, _, _ := call(t, s, "GET", "/api/v1/notifications", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET without a token = %d, want 401", code)
	}
}

func TestRetryDeadNotifications(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	n := &fakeNotifications{requeued: 3}
	s := notificationsServer(t, a, n)
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	code, _, body := call(t, s, "POST", "/api/v1/notifications/retry-dead?reservationId="+resUUID, staff, "")
	if code != http.StatusOK || strings.TrimSpace(string(body)) != `{"requeued":3}` {
		t.Errorf("POST = %d %s", code, body)
	}
	if n.lastFilter() != (notice.Filter{ReservationID: resUUID}) {
		t.Errorf("filter = %+v", n.lastFilter())
	}
}

func TestNotificationsStoreFailureIsAGeneric500(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	s := notificationsServer(t, a, &fakeNotifications{err: errors.New("bolt: database not open at /secret/path")})
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	code, _, body := call(t, s, "GET", "/api/v1/notifications", staff, "")
	if code != http.StatusInternalServerError || strings.Contains(string(body), "secret") {
		t.Errorf("GET with a failing store = %d %s, want a 500 without internals", code, body)
	}
}

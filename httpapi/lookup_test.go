package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/queries"
)

// reservationResponse is the body of GET /api/v1/lookup/reservations/{id}:
// the lookup document with the view's position.
type reservationResponse struct {
	lookup.Reservation
	ViewPosition uint64 `json:"viewPosition"`
}

// lookupFixture is the API with the lookup routes over a read store that
// the real lookup projection filled.
type lookupFixture struct {
	h    http.Handler
	auth testAuth
	ids  map[string]uuid.UUID // by phone as booked
	last uint64
	// serve is the API over the same read store with other query options
	// (and the clinic's configuration, when cl is not nil).
	serve func(o queries.Options, cl *clinic.Clinic) http.Handler
}

func newLookupFixture(t testing.TB, phones ...string) lookupFixture {
	t.Helper()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	store, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	src := projectionstest.NewMemorySource()
	key, err := auth.LoadOrCreateKey(auth.KeyPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	iss := auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now)
	f := lookupFixture{auth: testAuth{iss, auth.NewVerifier(iss.Keys(), auth.DefaultIssuer, auth.DefaultAudience, time.Now, 0)},
		ids: map[string]uuid.UUID{}}
	var last projections.Event
	for i, phone := range phones {
		id := uuid.New()
		slot := time.Date(2026, 12, 1, 1+i, 0, 0, 0, time.UTC)
		b, _ := json.Marshal(reservation.Placed{Visit: reservation.Visit{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
			Customer: reservation.Customer{Name: "c", Phone: phone}, Pet: reservation.Pet{Name: "Coco", Species: "dog"},
			DoctorID: "dr-kim", Slot: slot, Status: reservation.StatusBooked, At: slot.Add(-time.Hour)}})
		last = src.Append(reservation.Stream(id), reservation.TypePlaced, b)
		f.ids[phone] = id
	}
	f.last = last.Position.Commit
	reached := make(chan struct{}, 1)
	r := &projections.Runner{Source: src, Store: store, Subscriber: lookup.Subscriber(seoul), Namespace: "lookup~1",
		OnCaughtUp: func(cp projections.Checkpoint) {
			if !cp.Position.Less(last.Position) {
				select {
				case reached <- struct{}{}:
				default:
				}
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	<-reached
	cancel()
	<-done

	f.serve = func(o queries.Options, cl *clinic.Clinic) http.Handler {
		s := New(Config{Verifier: f.auth.verifier, RetryAfter: time.Second, Clinic: cl})
		api := s.engine.Group("/api/v1", s.authenticate)
		s.lookupRoutes(api, api.Group("", s.allow(auth.StaffRoles...)), queries.New(store, o))
		return s
	}
	// As the query role wires it: $all tells whether anything the view
	// would show lies between its checkpoint and minPosition.
	f.h = f.serve(queries.Options{MaxWait: 20 * time.Millisecond,
		Pending: func(ctx context.Context, _ string, from projections.Position, upTo uint64) (bool, error) {
			return src.AnyUpTo(ctx, from, upTo, lookup.Subscriber(seoul).Filter)
		}}, nil)
	return f
}

func TestLookupAuthorization(t *testing.T) {
	t.Parallel()
	const alice, bob = "010-1111-2222", "010-3333-4444"
	f := newLookupFixture(t, alice, bob)
	aliceTok := f.auth.token(t, "+82 10 1111 2222", auth.RoleCustomer)
	staffTok := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	bobID, aliceID := f.ids[bob].String(), f.ids[alice].String()

	notFound := []struct {
		name, path, token string
		hdr               []string
	}{
		{"another's by id", "/api/v1/lookup/reservations/" + bobID, aliceTok, nil},
		{"a guessed id", "/api/v1/lookup/reservations/" + uuid.NewString(), aliceTok, nil},
		{"garbage id", "/api/v1/lookup/reservations/%2e%2e", aliceTok, nil},
		{"another's with my phone as the claim", "/api/v1/lookup/reservations/" + bobID, "", []string{"X-Customer-Phone", alice}},
		{"another's id without anything", "/api/v1/lookup/reservations/" + bobID, "", nil},
		{"own id, no proof", "/api/v1/lookup/reservations/" + aliceID, "", nil},
	}
	var first []byte
	for _, tc := range notFound {
		code, hdr, body := call(t, f.h, "GET", tc.path, tc.token, "", tc.hdr...)
		if code != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404", tc.name, code, body)
			continue
		}
		p := decodeProblem(t, hdr, body)
		p.Instance = ""
		b, _ := json.Marshal(p)
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Errorf("%s: 404 body %s differs from %s: it tells cases apart", tc.name, b, first)
		}
	}

	// The list is always the caller's own.
	code, _, body := call(t, f.h, "GET", "/api/v1/lookup/reservations?phone="+bob, aliceTok, "")
	var list reservationsResponse
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Reservations) != 1 || list.Reservations[0].ID != aliceID {
		t.Errorf("alice's list: %d %s", code, body)
	}

	ok := []struct {
		name, token string
		hdr         []string
	}{
		{"own token", aliceTok, nil},
		{"id and the phone it was booked with", "", []string{"X-Customer-Phone", "01011112222"}},
		{"staff", staffTok, nil},
	}
	for _, tc := range ok {
		code, hdr, body := call(t, f.h, "GET", "/api/v1/lookup/reservations/"+aliceID, tc.token, "", tc.hdr...)
		var r reservationResponse
		if code != 200 || json.Unmarshal(body, &r) != nil || r.ID != aliceID || r.ViewPosition != f.last {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
		if hdr.Get("X-View-Position") != fmt.Sprint(f.last) {
			t.Errorf("%s: X-View-Position %q, want %d", tc.name, hdr.Get("X-View-Position"), f.last)
		}
	}
	if code, _, body := call(t, f.h, "GET", "/api/v1/lookup/reservations/"+aliceID, "not-a-token", ""); code != 401 {
		t.Errorf("a bad token: %d %s, want 401", code, body)
	}
}

func TestLookupStaffRoutesAndMinPosition(t *testing.T) {
	t.Parallel()
	f := newLookupFixture(t, "010-1111-2222", "010-3333-4444")
	staffTok := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	custTok := f.auth.token(t, "010-1111-2222", auth.RoleCustomer)
	code, _, body := call(t, f.h, "GET", "/api/v1/doctors/dr-kim/days/2026-12-01/reservations", staffTok, "")
	var day struct {
		Position uint64               `json:"position"`
		Data     []lookup.Reservation `json:"data"`
	}
	if code != 200 || json.Unmarshal(body, &day) != nil || len(day.Data) != 2 || day.Position != f.last {
		t.Errorf("day schedule: %d %s", code, body)
	}
	for _, path := range []string{"/api/v1/doctors/dr-kim/days/2026-12-01/reservations", "/api/v1/ledger/days/2026-12-01", "/api/v1/availability?date=2026-12-01"} {
		if code, _, _ := call(t, f.h, "GET", path, custTok, ""); code != http.StatusForbidden {
			t.Errorf("customer on %s: %d, want 403", path, code)
		}
	}
	for path, want := range map[string]int{
		"/api/v1/doctors/dr-kim/days/not-a-date/reservations":                                   400,
		"/api/v1/availability":                                                                  422,
		"/api/v1/ledger/invoices/" + uuid.NewString():                                           404,
		"/api/v1/ledger/days/2026-12-01":                                                        200,
		"/api/v1/lookup/reservations":                                                           422,
		fmt.Sprintf("/api/v1/lookup/reservations?phone=010-1111-2222&minPosition=%d", f.last):   200,
		fmt.Sprintf("/api/v1/lookup/reservations?phone=010-1111-2222&minPosition=%d", f.last+1): 503,
		"/api/v1/lookup/reservations?phone=010-1111-2222&minPosition=-1":                        400,
	} {
		if code, _, body := call(t, f.h, "GET", path, staffTok, ""); code != want {
			t.Errorf("GET %s: %d %s, want %d", path, code, body, want)
		}
	}
}

// TestLookupMinPositionBeyondTheHead: a position nothing has reached yet
// (beyond the head of $all) waits the bounded time and answers 503 with
// Retry-After and the view's real position, never 200 with a view it does
// not have.
func TestLookupMinPositionBeyondTheHead(t *testing.T) {
	t.Parallel()
	f := newLookupFixture(t, "010-1111-2222")
	staffTok := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	id := f.ids["010-1111-2222"].String()
	for _, path := range []string{
		"/api/v1/lookup/reservations/" + id,
		"/api/v1/lookup/reservations?phone=010-1111-2222",
		"/api/v1/doctors/dr-kim/days/2026-12-01/reservations",
	} {
		for _, minPos := range []uint64{f.last + 1, math.MaxUint64} {
			url := fmt.Sprintf("%s%sminPosition=%d", path, map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")], minPos)
			code, h, body := call(t, f.h, "GET", url, staffTok, "")
			if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || h.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET %s: %d %v %s; want 503 problem+json with Retry-After", url, code, h, body)
			}
			if got := h.Get("X-View-Position"); got != strconv.FormatUint(f.last, 10) {
				t.Errorf("GET %s: X-View-Position %q, want the view's real position %d", url, got, f.last)
			}
		}
	}
	if code, h, body := call(t, f.h, "GET", fmt.Sprintf("/api/v1/lookup/reservations/%s?minPosition=%d", id, f.last), staffTok, ""); code != 200 || h.Get("X-View-Position") != strconv.FormatUint(f.last, 10) {
		t.Errorf("at the head: %d %v %s, want 200 at %d", code, h, body, f.last)
	}
}

// TestLookupMinPositionWithTheEventStoreDown: when $all cannot be asked
// whether the view is complete, the answer is 503 with Retry-After (as the
// write side answers in an outage), never a 500.
func TestLookupMinPositionWithTheEventStoreDown(t *testing.T) {
	t.Parallel()
	f := newLookupFixture(t, "010-1111-2222")
	h := f.serve(queries.Options{MaxWait: time.Second,
		Pending: func(context.Context, string, projections.Position, uint64) (bool, error) {
			return false, fmt.Errorf("read $all: %w: rpc error: code = Unavailable", projections.ErrSourceUnavailable)
		}}, nil)
	staffTok := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	for _, path := range []string{
		"/api/v1/lookup/reservations/" + f.ids["010-1111-2222"].String() + "?minPosition=" + strconv.FormatUint(f.last+5, 10),
		"/api/v1/ledger/days/2026-12-01?minPosition=" + strconv.FormatUint(f.last+5, 10),
	} {
		code, hdr, body := call(t, h, "GET", path, staffTok, "")
		var p problem
		if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || json.Unmarshal(body, &p) != nil || p.Type != kindUnavailable.uri() {
			t.Errorf("GET %s with the event store down: %d %v %s; want 503 %s with Retry-After", path, code, hdr, body, kindUnavailable.uri())
		}
	}
}

// TestDayScheduleOfAnUnknownOrInvalidDoctor: a doctor the clinic does not
// have is 404 and an id that cannot be one is 400, not 200 with an empty
// day (the availability of a doctor's day answers the same).
func TestDayScheduleOfAnUnknownOrInvalidDoctor(t *testing.T) {
	t.Parallel()
	f := newLookupFixture(t, "010-1111-2222")
	h := f.serve(queries.Options{MaxWait: 20 * time.Millisecond}, testClinic(t))
	staffTok := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	for path, want := range map[string]struct {
		code int
		typ  string
	}{
		"/api/v1/doctors/dr-kim/days/2026-12-01/reservations":                          {200, ""},
		"/api/v1/doctors/dr-nobody/days/2026-12-01/reservations":                       {404, "/problems/clinic.unknown_doctor"},
		"/api/v1/doctors/bad%20id!/days/2026-12-01/reservations":                       {400, kindMalformed.uri()},
		"/api/v1/doctors/dr-nobody/days/2026-12-01/availability":                       {404, "/problems/clinic.unknown_doctor"},
		"/api/v1/doctors/" + strings.Repeat("x", 65) + "/days/2026-12-01/availability": {400, kindMalformed.uri()},
	} {
		code, _, body := call(t, h, "GET", path, staffTok, "")
		var p problem
		if code != want.code || (want.typ != "" && (json.Unmarshal(body, &p) != nil || p.Type != want.typ)) {
			t.Errorf("GET %s: %d %s; want %d %s", path, code, body, want.code, want.typ)
		}
	}
}

package httpapi

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/esdb"
)

func TestIdempotentPlace(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 1)
	first := f.place(t, f.slot("11:00"), "Idempotency-Key", "booking-42")
	again := f.place(t, f.slot("11:00"), "Idempotency-Key", "booking-42")
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("a retried request got another answer (-first +again):\n%s", diff)
	}
	// The slot holds one place: had the retry booked again, this would be taken twice.
	code, _, body := call(t, f.s, "POST", "/api/v1/reservations", f.staff, placeBody("dr-kim", f.slot("11:00")))
	if code != http.StatusConflict || !strings.Contains(string(body), "schedule.slot_taken") {
		t.Errorf("another booking of the full slot: %d %s", code, body)
	}
	// Keys are per caller: another nurse using the same key books anew.
	other := f.auth.token(t, "nurse-lee", auth.RoleStaff)
	code, _, body = call(t, f.s, "POST", "/api/v1/reservations", other, placeBody("dr-kim", f.slot("11:30")), "Idempotency-Key", "booking-42")
	var p placeResponse
	if err := json.Unmarshal(body, &p); code != http.StatusCreated || err != nil || p.ID == first.ID {
		t.Errorf("same key, another caller: %d %s", code, body)
	}
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 1)
	p := f.place(t, f.slot("12:00"))
	path := "/api/v1/reservations/" + p.ID.String()
	code, hdr, body := call(t, f.s, "POST", path+"/check-in", f.staff, "", "If-Match", `"99"`)
	if code != http.StatusPreconditionFailed || decodeProblem(t, hdr, body).Type != kindStale.uri() {
		t.Fatalf("stale If-Match: %d %s", code, body)
	}
	code, hdr, body = call(t, f.s, "POST", path+"/check-in", f.staff, "", "If-Match", etag(p.Revision))
	if code != http.StatusOK {
		t.Fatalf("current If-Match: %d %s", code, body)
	}
	var r struct{ Revision uint64 }
	if err := json.Unmarshal(body, &r); err != nil || r.Revision != p.Revision+1 || hdr.Get("ETag") != etag(r.Revision) {
		t.Errorf("check-in answer %s, ETag %s", body, hdr.Get("ETag"))
	}
}

func TestStateConflicts(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 1)
	p := f.place(t, f.slot("13:00"))
	path := "/api/v1/reservations/" + p.ID.String()
	if code, _, body := call(t, f.s, "POST", path+"/cancel", f.staff, `{"reason":"owner ill"}`); code != http.StatusOK {
		t.Fatalf("cancel: %d %s", code, body)
	}
	for _, c := range []struct{ path, body, typ string }{
		{path + "/reschedule", `{"slot":"` + f.slot("14:00") + `"}`, "/problems/reservation.cancelled"},
		{path + "/check-in", ``, "/problems/reservation.cancelled"},
		{"/api/v1/medical-records/" + p.MedicalRecordID.String() + "/diagnosis", `{"findings":"f","diagnosis":"d"}`, "/problems/medicalrecord.voided"},
	} {
		code, hdr, body := call(t, f.s, "POST", c.path, f.staff, c.body)
		if code != http.StatusConflict || decodeProblem(t, hdr, body).Type != c.typ {
			t.Errorf("%s: %d %s, want 409 %s", c.path, code, body, c.typ)
		}
	}
}

// TestLastPlaceRace: 50 concurrent HTTP requests for the last place of one
// slot; exactly one gets it.
func TestLastPlaceRace(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 2)
	f.place(t, f.slot("15:00")) // one of the two places is gone
	srv := httptest.NewServer(checked(t, f.s))
	t.Cleanup(srv.Close)
	const n = 50
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/reservations", strings.NewReader(placeBody("dr-kim", f.slot("15:00"))))
			req.Header.Set("Authorization", "Bearer "+f.staff)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
		t.Errorf("statuses %v, want one 201 and %d 409", count, n-1)
	}
}

func TestStoreDownIs503(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port with nothing serving gRPC behind it
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	store, err := esdb.Open("esdb://"+addr+"?tls=false", esdb.Options{MaxDiscoverAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cl := testClinic(t)
	a := newTestAuth(t)
	s := New(Config{Verifier: a.verifier, Clinic: cl, Commands: commands.New(store, cl, commands.Options{}), RetryAfter: store.RetryAfter()})
	f := apiFixture{s: s, staff: a.token(t, "nurse-kim", auth.RoleStaff), day: "2099-01-05"}
	code, hdr, body := call(t, s, "POST", "/api/v1/reservations", f.staff, placeBody("dr-kim", f.slot("10:00")))
	p := decodeProblem(t, hdr, body)
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || p.Type != kindUnavailable.uri() {
		t.Errorf("store down: %d Retry-After %q %s", code, hdr.Get("Retry-After"), body)
	}
}

package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// apiFixture is the real router on the embedded event store, with a staff
// token.
type apiFixture struct {
	s     *Server
	auth  testAuth
	staff string
	day   string // a day ahead, YYYY-MM-DD in Seoul
}

// checkInEarly lets the tests check in visits on the fixture's day, ten
// days ahead, as a clinic that checks in early would configure it.
const checkInEarly = 11 * 24 * time.Hour

func newAPIFixture(t *testing.T) apiFixture {
	t.Helper()
	store, err := esdb.Open(esdbtest.URL(t), esdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cl := testClinic(t)
	a := newTestAuth(t)
	s := New(Config{Verifier: a.verifier, Clinic: cl, Commands: commands.New(store, cl, commands.Options{CheckInWindow: checkInEarly}), RetryAfter: store.RetryAfter()})
	day := time.Now().In(cl.Location).AddDate(0, 0, 10).Format(time.DateOnly)
	return apiFixture{s: s, auth: a, staff: a.token(t, "nurse-kim", auth.RoleStaff), day: day}
}

// slot is the RFC 3339 time of hh:mm on the fixture's day in Seoul.
func (f apiFixture) slot(hhmm string) string { return f.day + "T" + hhmm + ":00+09:00" }

func (f apiFixture) openDay(t *testing.T, doctor string, capacity int) {
	t.Helper()
	body := fmt.Sprintf(`{"opens":"09:00","closes":"18:00","slotMinutes":30,"capacity":%d}`, capacity)
	if code, _, resp := call(t, f.s, "PUT", "/api/v1/doctors/"+doctor+"/days/"+f.day, f.staff, body); code != http.StatusOK {
		t.Fatalf("open day: %d %s", code, resp)
	}
}

func placeBody(doctor, slot string) string {
	return fmt.Sprintf(`{"customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},"doctorId":%q,"slot":%q,"reason":"vaccination"}`, doctor, slot)
}

func (f apiFixture) place(t *testing.T, slot string, hdr ...string) placeResponse {
	t.Helper()
	code, _, body := call(t, f.s, "POST", "/api/v1/reservations", f.staff, placeBody("dr-kim", slot), hdr...)
	if code != http.StatusCreated {
		t.Fatalf("place: %d %s", code, body)
	}
	var p placeResponse
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadInputNeverFails500 sends malformed and invalid requests to every
// kind of route: each gets its 4xx problem, none a 500.
func TestBadInputNeverFails500(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 2)
	res := f.place(t, f.slot("09:00"))
	rid := res.ID.String()
	place := "/api/v1/reservations"
	for _, c := range []struct {
		name, method, path, body string
		hdr                      []string
		want                     int
		field                    string
	}{
		{"malformed json", "POST", place, `{"customer":`, nil, 400, ""},
		{"not an object", "POST", place, `[1,2]`, nil, 400, ""},
		{"two values", "POST", place, `{} {}`, nil, 400, ""},
		{"empty body", "POST", place, ``, nil, 400, ""},
		{"unknown field", "POST", place, `{"doctor":"dr-kim"}`, nil, 422, "doctor"},
		{"wrong type", "POST", place, `{"customer":"Jackson"}`, nil, 422, "customer"},
		{"wrong nested type", "POST", place, `{"pet":{"name":7}}`, nil, 422, "pet.name"},
		{"slot without offset", "POST", place, placeBody("dr-kim", f.day+"T10:00:00"), nil, 422, "slot"},
		{"slot not a time", "POST", place, placeBody("dr-kim", "tomorrow"), nil, 422, "slot"},
		{"missing phone", "POST", place, `{"customer":{"name":"J"},"pet":{"name":"C","species":"dog"},"doctorId":"dr-kim","slot":"` + f.slot("10:00") + `"}`, nil, 422, "customer.phone"},
		{"unknown doctor", "POST", place, placeBody("dr-nobody", f.slot("10:00")), nil, 404, ""},
		{"off the grid", "POST", place, placeBody("dr-kim", f.slot("10:10")), nil, 409, ""},
		{"text/plain", "POST", place, placeBody("dr-kim", f.slot("10:00")), []string{"Content-Type", "text/plain"}, 415, ""},
		{"huge body", "POST", place, `{"reason":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, ""},
		{"bad uuid", "POST", "/api/v1/reservations/not-a-uuid/cancel", `{}`, nil, 400, ""},
		{"nil uuid", "POST", "/api/v1/reservations/00000000-0000-0000-0000-000000000000/cancel", `{}`, nil, 400, ""},
		{"unknown reservation", "POST", "/api/v1/reservations/6f1c3a57-8a7e-4b8e-9f5d-2f0a6f3b1c11/check-in", ``, nil, 404, ""},
		{"bad date", "PUT", "/api/v1/doctors/dr-kim/days/2026-13-01", `{}`, nil, 400, ""},
		{"bad doctor id", "PUT", "/api/v1/doctors/dr%20kim/days/" + f.day, `{}`, nil, 400, ""},
		{"bad hours", "PUT", "/api/v1/doctors/dr-kim/days/" + f.day, `{"opens":"25:00","closes":"18:00","slotMinutes":2,"capacity":0}`, nil, 422, "opens"},
		{"negative amount", "POST", "/api/v1/invoices/" + rid + "/payments", `{"amount":-5,"currency":"KRW","method":"card"}`, nil, 422, "amount"},
		{"fractional amount", "POST", "/api/v1/invoices/" + rid + "/payments", `{"amount":10.5,"currency":"KRW","method":"card"}`, nil, 422, "amount"},
		{"huge amount", "POST", "/api/v1/invoices/" + rid + "/payments", `{"amount":1e30,"currency":"KRW","method":"card"}`, nil, 422, "amount"},
		{"bad If-Match", "POST", "/api/v1/reservations/" + rid + "/check-in", ``, []string{"If-Match", `"abc"`}, 400, ""},
		{"bad Idempotency-Key", "POST", "/api/v1/reservations/" + rid + "/check-in", ``, []string{"Idempotency-Key", "has space"}, 400, ""},
		{"body on check-in", "POST", "/api/v1/reservations/" + rid + "/check-in", `{"now":true}`, nil, 422, "now"},
		{"unknown treatment", "POST", "/api/v1/medical-records/" + res.MedicalRecordID.String() + "/treatments", `{"items":[{"code":"NOPE","quantity":1}]}`, nil, 422, "items[0].code"},
		{"no such route", "POST", "/api/v1/reservations/" + rid + "/teleport", `{}`, nil, 404, ""},
		{"wrong method", "GET", "/api/v1/reservations", ``, nil, 405, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, hdr, body := call(t, f.s, c.method, c.path, f.staff, c.body, c.hdr...)
			if code != c.want {
				t.Fatalf("status %d, want %d; body %s", code, c.want, body)
			}
			p := decodeProblem(t, hdr, body)
			if p.Status != c.want || p.Type == "" || p.Title == "" {
				t.Errorf("problem %+v", p)
			}
			if c.field == "" {
				return
			}
			for _, fe := range p.Errors {
				if fe.Field == c.field {
					return
				}
			}
			t.Errorf("errors %+v lack field %q", p.Errors, c.field)
		})
	}
}

package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// problemOf decodes a problem+json answer.
func problemOf(t *testing.T, body []byte) problem {
	t.Helper()
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem: %s", body)
	}
	return p
}

// fieldsOf maps a 422's failing fields to their messages.
func fieldsOf(p problem) map[string]string {
	m := map[string]string{}
	for _, e := range p.Errors {
		m[e.Field] = e.Message
	}
	return m
}

// TestRescheduleOfAnUnknownReservationIs404: whatever the body lacks, a
// reservation that does not exist is 404, not a 422 about its fields.
func TestRescheduleOfAnUnknownReservationIs404(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	path := "/api/v1/reservations/" + uuid.NewString() + "/reschedule"
	for _, body := range []string{`{"slot":"` + f.slot("12:00") + `"}`, `{}`, `{"doctorId":"dr-kim"}`, `{"doctorId":"bad id!"}`} {
		code, _, resp := call(t, f.s, "POST", path, f.staff, body)
		if code != http.StatusNotFound || problemOf(t, resp).Type != "/problems/reservation.not_found" {
			t.Errorf("reschedule an unknown reservation with %s: %d %s; want 404 reservation.not_found", body, code, resp)
		}
	}
}

// TestInvalidDoctorIDSaysInvalid: a doctor id that was sent but cannot be
// one is "invalid", a missing one "required".
func TestInvalidDoctorIDSaysInvalid(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 2)
	res := f.place(t, f.slot("10:00"))
	for name, c := range map[string]struct{ method, path, body, want string }{
		"reschedule, invalid": {"POST", "/api/v1/reservations/" + res.ID.String() + "/reschedule", `{"doctorId":"bad id!","slot":"` + f.slot("12:00") + `"}`, "invalid"},
		"place, invalid":      {"POST", "/api/v1/reservations", placeBody("bad id!", f.slot("11:00")), "invalid"},
		"place, missing":      {"POST", "/api/v1/reservations", placeBody("", f.slot("11:00")), "required"},
	} {
		code, _, resp := call(t, f.s, c.method, c.path, f.staff, c.body)
		if msg := fieldsOf(problemOf(t, resp))["doctorId"]; code != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, c.want) {
			t.Errorf("%s: %d %s; want 422 with doctorId %q...", name, code, resp, c.want)
		}
	}
	// A missing slot on a reservation that exists is still the domain's 422.
	code, _, resp := call(t, f.s, "POST", "/api/v1/reservations/"+res.ID.String()+"/reschedule", f.staff, `{}`)
	if _, ok := fieldsOf(problemOf(t, resp))["slot"]; code != http.StatusUnprocessableEntity || !ok {
		t.Errorf("reschedule without a slot: %d %s; want 422 naming slot", code, resp)
	}
}

// TestPlaceListsEveryFailingField: an empty booking names every field it
// lacks in one answer, not only the first.
func TestPlaceListsEveryFailingField(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	for _, c := range []struct {
		body string
		want []string
	}{
		{`{}`, []string{"customer.name", "customer.phone", "pet.name", "pet.species", "doctorId", "slot"}},
		{`{"slot":"tomorrow","doctorId":"dr-kim","customer":{"name":"J","phone":"010-1234-5678"},"pet":{"name":"Coco"}}`, []string{"slot", "pet.species"}},
	} {
		code, _, resp := call(t, f.s, "POST", "/api/v1/reservations", f.staff, c.body)
		p := problemOf(t, resp)
		got := fieldsOf(p)
		if code != http.StatusUnprocessableEntity || p.Type != kindValidation.uri() || len(got) != len(c.want) {
			t.Errorf("place %s: %d %s; want 422 naming %v", c.body, code, resp, c.want)
		}
		for _, field := range c.want {
			if _, ok := got[field]; !ok {
				t.Errorf("place %s: %s not named in %s", c.body, field, resp)
			}
		}
	}
}

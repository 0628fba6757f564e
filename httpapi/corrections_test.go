package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// notMonday is a date near the fixture's day that is not a Monday (dr-lee
// works Mondays only).
func (f apiFixture) notMonday(t *testing.T) string {
	t.Helper()
	d, err := time.Parse(time.DateOnly, f.day)
	if err != nil {
		t.Fatal(err)
	}
	if d.Weekday() == time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.DateOnly)
}

// TestDayRoutes: an extra day needs its flag; a day outside the horizon is
// 422; closing a day with a booking is 409 naming it, an empty day closes.
func TestDayRoutes(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	hours := `{"opens":"09:00","closes":"12:00","slotMinutes":30,"capacity":1`
	lee := "/api/v1/doctors/dr-lee/days/" + f.notMonday(t)
	code, hdr, body := call(t, f.s, "PUT", lee, f.staff, hours+`}`)
	if code != http.StatusConflict || decodeProblem(t, hdr, body).Type != "/problems/schedule.not_working_day" {
		t.Fatalf("a day off without the flag: %d %s", code, body)
	}
	if code, _, body = call(t, f.s, "PUT", lee, f.staff, hours+`,"extra":true}`); code != http.StatusOK {
		t.Fatalf("an extra day: %d %s", code, body)
	}
	for _, date := range []string{"0001-01-01", "9999-12-31"} {
		code, hdr, body = call(t, f.s, "PUT", "/api/v1/doctors/dr-kim/days/"+date, f.staff, hours+`}`)
		if code != http.StatusUnprocessableEntity || decodeProblem(t, hdr, body).Type != "/problems/schedule.outside_horizon" {
			t.Errorf("open %s: %d %s", date, code, body)
		}
	}
	f.openDay(t, "dr-kim", 1)
	p := f.place(t, f.slot("10:00"))
	kim := "/api/v1/doctors/dr-kim/days/" + f.day + "/close"
	code, hdr, body = call(t, f.s, "POST", kim, f.staff, `{"reason":"conference"}`)
	if code != http.StatusConflict || decodeProblem(t, hdr, body).Type != "/problems/schedule.has_bookings" || !strings.Contains(string(body), p.ID.String()) {
		t.Fatalf("close a day with a booking: %d %s", code, body)
	}
	if code, _, body = call(t, f.s, "POST", lee+"/close", f.staff, `{"reason":"conference"}`); code != http.StatusOK || !strings.Contains(string(body), `"closed":true`) {
		t.Fatalf("close the extra day: %d %s", code, body)
	}
}

// TestFinalizeNeedsLinesOrNoCharge: a record without lines is 409
// medicalrecord.no_treatments unless finalised with {"noCharge":true}; a
// diagnosis before check-in is 409 medicalrecord.visit_not_started.
func TestFinalizeNeedsLinesOrNoCharge(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 1)
	p := f.place(t, f.slot("10:00"))
	rec := "/api/v1/medical-records/" + p.MedicalRecordID.String()
	diagnosis := `{"findings":"","diagnosis":"healthy"}`
	code, hdr, body := call(t, f.s, "POST", rec+"/diagnosis", f.staff, diagnosis)
	if code != http.StatusConflict || decodeProblem(t, hdr, body).Type != "/problems/medicalrecord.visit_not_started" {
		t.Fatalf("diagnosis before check-in: %d %s", code, body)
	}
	if code, _, body = call(t, f.s, "POST", "/api/v1/reservations/"+p.ID.String()+"/check-in", f.staff, ""); code != http.StatusOK {
		t.Fatalf("check-in: %d %s", code, body)
	}
	if code, _, body = call(t, f.s, "POST", rec+"/diagnosis", f.staff, diagnosis); code != http.StatusOK {
		t.Fatalf("diagnosis: %d %s", code, body)
	}
	code, hdr, body = call(t, f.s, "POST", rec+"/finalize", f.staff, "")
	if code != http.StatusConflict || decodeProblem(t, hdr, body).Type != "/problems/medicalrecord.no_treatments" {
		t.Fatalf("finalise without lines: %d %s", code, body)
	}
	if code, _, body = call(t, f.s, "POST", rec+"/finalize", f.staff, `{"noCharge":true}`); code != http.StatusOK {
		t.Fatalf("finalise as no-charge: %d %s", code, body)
	}
}

// TestCorrectionRoutes: a line removed and one corrected, the bill voided
// and billed again, a discount, and the customer's phone corrected, each
// over HTTP.
func TestCorrectionRoutes(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 1)
	p := f.place(t, f.slot("10:00"))
	res, rec := "/api/v1/reservations/"+p.ID.String(), "/api/v1/medical-records/"+p.MedicalRecordID.String()
	ok := func(method, path, body string) []byte {
		t.Helper()
		code, _, resp := call(t, f.s, method, path, f.staff, body)
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, code, resp)
		}
		return resp
	}
	ok("PUT", res+"/details", `{"customer":{"name":"Jackson","phone":"010-9999-0000"},"pet":{"name":"Koko","species":"dog"},"reason":"typo"}`)
	ok("POST", res+"/check-in", "")
	ok("POST", rec+"/diagnosis", `{"diagnosis":"healthy"}`)
	ok("POST", rec+"/treatments", `{"items":[{"code":"CONSULT","quantity":1},{"code":"CONSULT","quantity":1},{"code":"VACCINE","quantity":2}]}`)
	ok("POST", rec+"/treatments/2/remove", `{"reason":"entered twice"}`)
	ok("PUT", rec+"/treatments/3", `{"code":"VACCINE","quantity":1}`)
	if code, _, body := call(t, f.s, "POST", rec+"/treatments/0/remove", f.staff, ""); code != http.StatusBadRequest {
		t.Fatalf("line 0: %d %s", code, body)
	}
	var fin finalizeResponse
	if err := json.Unmarshal(ok("POST", rec+"/finalize", ""), &fin); err != nil || fin.Total.Amount != 45000 {
		t.Fatalf("finalize: %+v %v", fin, err)
	}
	inv := "/api/v1/invoices/" + fin.InvoiceID.String()
	code, hdr, body := call(t, f.s, "POST", inv+"/void", f.staff, `{}`)
	if code != http.StatusUnprocessableEntity || decodeProblem(t, hdr, body).Type != kindValidation.uri() {
		t.Fatalf("void without a reason: %d %s", code, body)
	}
	if v := ok("POST", inv+"/void", `{"reason":"wrong vaccine"}`); !strings.Contains(string(v), `"status":"voided"`) {
		t.Fatalf("void: %s", v)
	}
	ok("PUT", rec+"/treatments/3", `{"code":"RX-FILL","quantity":1}`)
	var again finalizeResponse
	if err := json.Unmarshal(ok("POST", rec+"/finalize", ""), &again); err != nil || again.InvoiceID == fin.InvoiceID || again.Total.Amount != 20000 {
		t.Fatalf("finalize again: %+v %v", again, err)
	}
	d := ok("POST", "/api/v1/invoices/"+again.InvoiceID.String()+"/discounts", `{"amount":5000,"reason":"regular"}`)
	if !strings.Contains(string(d), `"balance":{"amount":15000,"currency":"KRW"}`) {
		t.Fatalf("discount: %s", d)
	}
}

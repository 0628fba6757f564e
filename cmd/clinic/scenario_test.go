package main

import (
	"net/http"
	"testing"
	"time"
)

// workingDays returns n dates (YYYY-MM-DD, Seoul) a week or more ahead on
// which the example clinic's dr-kim works (Monday to Saturday).
func workingDays(t testing.TB, n int) []string {
	t.Helper()
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for d := time.Now().In(seoul).AddDate(0, 0, 7); len(out) < n; d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Sunday {
			out = append(out, d.Format(time.DateOnly))
		}
	}
	return out
}

type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

type amountJSON struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type bill struct {
	ID        string     `json:"id"`
	InvoiceID string     `json:"invoiceId"`
	Total     amountJSON `json:"total"`
	Paid      amountJSON `json:"paid"`
	Refunded  amountJSON `json:"refunded"`
	Balance   amountJSON `json:"balance"`
	Status    string     `json:"status"`
	Revision  uint64     `json:"revision"`
	Position  uint64     `json:"position"`
}

// TestSeedScenario replays the seed's story over HTTP against the whole
// program: open a doctor's days, book, change the date, cancel, book again,
// examine (diagnosis, treatments, prescription), finalise into an invoice,
// pay in part and in full, refund.
func TestSeedScenario(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--check-in-window", "720h") // the visits are a week or more ahead
	staff := p.token(t, "staff", "nurse-kim")
	days := workingDays(t, 2)
	slot := func(day, hhmm string) string { return day + "T" + hhmm + ":00+09:00" }

	// expect runs one request and checks its status.
	expect := func(want int, method, path string, body, out any, hdr ...string) http.Header {
		t.Helper()
		var prob problemBody
		target := out
		if want >= 400 {
			target = &prob
		}
		code, h := p.do(t, method, path, staff, body, target, hdr...)
		if code != want {
			t.Fatalf("%s %s = %d, want %d (%+v)", method, path, code, want, prob)
		}
		return h
	}
	conflict := func(method, path string, body any, typ string) {
		t.Helper()
		var prob problemBody
		code, _ := p.do(t, method, path, staff, body, &prob)
		if code != http.StatusConflict || prob.Type != typ {
			t.Fatalf("%s %s = %d %+v, want 409 %s", method, path, code, prob, typ)
		}
	}

	for _, d := range days {
		expect(200, "PUT", "/api/v1/doctors/dr-kim/days/"+d,
			map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil)
	}
	place := map[string]any{
		"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet":      map[string]string{"name": "Coco", "species": "dog"},
		"doctorId": "dr-kim", "slot": slot(days[0], "10:00"), "reason": "vaccination",
	}
	var first struct {
		ID              string `json:"id"`
		MedicalRecordID string `json:"medicalRecordId"`
		Revision        uint64 `json:"revision"`
		Position        uint64 `json:"position"`
	}
	h := expect(201, "POST", "/api/v1/reservations", place, &first)
	if first.ID == "" || first.MedicalRecordID == "" || first.Position == 0 || h.Get("Location") != "/api/v1/reservations/"+first.ID {
		t.Fatalf("placed: %+v, Location %q", first, h.Get("Location"))
	}
	conflict("POST", "/api/v1/reservations", place, "/problems/schedule.slot_taken")

	res := "/api/v1/reservations/" + first.ID
	var moved struct {
		Revision, Position uint64
	}
	expect(200, "POST", res+"/reschedule", map[string]string{"slot": slot(days[1], "11:00")}, &moved)
	if moved.Revision <= first.Revision || moved.Position <= first.Position {
		t.Errorf("reschedule did not move revision/position on: %+v after %+v", moved, first)
	}
	// The old slot is free again: someone else can take it.
	other := map[string]any{"customer": map[string]string{"name": "Mina", "phone": "010-9999-0000"},
		"pet": map[string]string{"name": "Nabi", "species": "cat"}, "doctorId": "dr-kim", "slot": slot(days[0], "10:00")}
	expect(201, "POST", "/api/v1/reservations", other, nil)

	expect(200, "POST", res+"/cancel", map[string]string{"reason": "Coco is feeling better"}, nil)
	conflict("POST", res+"/cancel", map[string]string{"reason": "again"}, "/problems/reservation.cancelled")
	conflict("POST", "/api/v1/medical-records/"+first.MedicalRecordID+"/diagnosis",
		map[string]string{"findings": "x", "diagnosis": "y"}, "/problems/medicalrecord.voided")

	// Book again, on the slot the cancellation gave back.
	place["slot"] = slot(days[1], "11:00")
	var second struct {
		ID              string `json:"id"`
		MedicalRecordID string `json:"medicalRecordId"`
	}
	expect(201, "POST", "/api/v1/reservations", place, &second)
	res = "/api/v1/reservations/" + second.ID
	rec := "/api/v1/medical-records/" + second.MedicalRecordID
	conflict("POST", rec+"/finalize", nil, "/problems/medicalrecord.visit_not_started")
	expect(200, "POST", res+"/check-in", nil, nil)
	conflict("POST", rec+"/finalize", nil, "/problems/medicalrecord.no_diagnosis")
	expect(200, "POST", rec+"/diagnosis", map[string]string{"findings": "healthy, due for boosters", "diagnosis": "routine vaccination"}, nil)
	expect(200, "POST", rec+"/treatments", map[string]any{"items": []map[string]any{
		{"code": "CONSULT", "quantity": 1}, {"code": "VACC-DHPPL", "quantity": 1}}}, nil)
	expect(200, "POST", rec+"/prescriptions", map[string]any{"items": []map[string]any{
		{"drug": "Antihistamine", "dosage": "5 mg", "frequency": "once a day", "days": 3}}}, nil)

	var fin struct {
		InvoiceID string     `json:"invoiceId"`
		Total     amountJSON `json:"total"`
	}
	expect(200, "POST", rec+"/finalize", nil, &fin)
	if fin.InvoiceID == "" || fin.Total != (amountJSON{45000, "KRW"}) {
		t.Fatalf("finalize: %+v, want an invoice of 45000 KRW (consultation 15000 + vaccine 30000)", fin)
	}
	conflict("POST", rec+"/treatments", map[string]any{"items": []map[string]any{{"code": "XRAY", "quantity": 1}}}, "/problems/medicalrecord.finalized")
	expect(200, "POST", rec+"/addenda", map[string]string{"text": "owner reports mild swelling at the injection site"}, nil)
	expect(200, "POST", res+"/complete", nil, nil)

	inv := "/api/v1/invoices/" + fin.InvoiceID
	pay := func(amount int64, out *bill) {
		t.Helper()
		expect(200, "POST", inv+"/payments", map[string]any{"amount": amount, "currency": "KRW", "method": "card"}, out)
	}
	var b bill
	pay(20000, &b)
	if b.Paid != (amountJSON{20000, "KRW"}) || b.Balance != (amountJSON{25000, "KRW"}) || b.Status != "partially_paid" {
		t.Fatalf("partial payment: %+v", b)
	}
	conflict("POST", inv+"/payments", map[string]any{"amount": 30000, "currency": "KRW", "method": "cash"}, "/problems/invoice.overpayment")
	pay(25000, &b)
	if b.Balance.Amount != 0 || b.Status != "paid" {
		t.Fatalf("full payment: %+v", b)
	}
	expect(200, "POST", inv+"/refunds", map[string]any{"amount": 5000, "currency": "KRW", "method": "card", "reason": "vaccine discount"}, &b)
	if b.Refunded != (amountJSON{5000, "KRW"}) || b.ID == "" {
		t.Fatalf("refund: %+v", b)
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/httpapi"
	"github.com/vetclinic/clinic/httpapi/openapitest"
)

// contractClient calls a running clinic with every exchange validated
// against the OpenAPI document that the clinic serves.
type contractClient struct {
	base string
	hc   *http.Client
}

// newContractClient fetches the document from the running server, checks
// that fetch against it too, and returns a client whose every exchange is
// validated against it.
func newContractClient(t *testing.T, base string) *contractClient {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/api/v1/openapi.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %d %v", resp.StatusCode, err)
	}
	v, err := openapitest.New(doc)
	if err != nil {
		t.Fatalf("the served document: %v", err)
	}
	if err := v.Check(openapitest.Exchange{Request: req, Status: resp.StatusCode, Header: resp.Header, Body: doc}); err != nil {
		t.Error(err)
	}
	return &contractClient{base: base, hc: &http.Client{Transport: v.RoundTripper(t, nil), Timeout: 30 * time.Second}}
}

// call sends a JSON request (body nil: none) and decodes the answer into
// out (when not nil); it returns the status and headers.
func (c *contractClient) call(t *testing.T, method, path, token string, body, out any, hdr ...string) (int, http.Header) {
	t.Helper()
	code, h, data := sendJSON(t, c.hc, c.base, method, path, token, body, hdr...)
	if out != nil && code < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, code, data, err)
		}
	}
	return code, h
}

// must is call that fails the test unless the answer has status want.
func (c *contractClient) must(t *testing.T, want int, method, path, token string, body, out any, hdr ...string) http.Header {
	t.Helper()
	var prob problemBody
	target := out
	if want >= 400 {
		target = &prob
	}
	code, h := c.call(t, method, path, token, body, target, hdr...)
	if code != want {
		t.Fatalf("%s %s = %d, want %d", method, path, code, want)
	}
	return h
}

// doctorsList is the answer of GET /api/v1/doctors.
type doctorsList struct {
	TimeZone string `json:"timeZone"`
	Doctors  []struct {
		ID          string   `json:"id"`
		WorkingDays []string `json:"workingDays"`
	} `json:"doctors"`
}

// clinicDays picks, from the doctors the clinic serves, a doctor and two
// dates in the clinic's zone a week or more ahead: a day the doctor works
// and the first day after it that the doctor does not.
func clinicDays(t *testing.T, doctors doctorsList) (doctor, workDay, dayOff string) {
	t.Helper()
	zone, err := time.LoadLocation(doctors.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range doctors.Doctors {
		if len(d.WorkingDays) == 0 || len(d.WorkingDays) == 7 {
			continue
		}
		works := func(day time.Time) bool {
			return slices.Contains(d.WorkingDays, strings.ToLower(day.Weekday().String()[:3]))
		}
		day := time.Now().In(zone).AddDate(0, 0, 7)
		for !works(day) {
			day = day.AddDate(0, 0, 1)
		}
		off := day
		for works(off) {
			off = off.AddDate(0, 0, 1)
		}
		return d.ID, day.Format(time.DateOnly), off.Format(time.DateOnly)
	}
	t.Fatalf("no doctor with a day off among %+v", doctors.Doctors)
	return "", "", ""
}

// TestWholeClinicDayMatchesTheContract runs a clinic's day over HTTP on
// `clinic serve` (through run, on the embedded defaults): open a doctor's
// day and an extra day on the doctor's day off, book, correct the
// booking's details, check in, record the diagnosis, add treatments,
// correct one line and remove another, finalise, discount, pay, refund, and
// read back the record, its history, the day sheet, the invoice, the
// reservation and the customer's lookup. Every request and answer is
// validated against the OpenAPI document the server serves.
func TestWholeClinicDayMatchesTheContract(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--roles", "command,query,projector,notice", "--check-in-window", "720h") // the visit is a week or more ahead
	api := newContractClient(t, p.base)
	staff := p.token(t, "staff", "nurse-kim")
	vet := p.token(t, "staff", "dr-kim")

	var doctors doctorsList
	api.must(t, 200, "GET", "/api/v1/doctors", staff, nil, &doctors)
	var fees struct {
		Currency string `json:"currency"`
	}
	api.must(t, 200, "GET", "/api/v1/fees", staff, nil, &fees)
	doctor, day, off := clinicDays(t, doctors)
	hours := map[string]any{"opens": "09:00", "closes": "12:00", "slotMinutes": 30, "capacity": 1}

	// The doctor's day, and an extra day on a day off: refused without the flag.
	api.must(t, 200, "PUT", "/api/v1/doctors/"+doctor+"/days/"+day, staff, hours, nil)
	api.must(t, 409, "PUT", "/api/v1/doctors/"+doctor+"/days/"+off, staff, hours, nil)
	extra := map[string]any{"opens": "10:00", "closes": "12:00", "slotMinutes": 30, "capacity": 1, "extra": true}
	api.must(t, 200, "PUT", "/api/v1/doctors/"+doctor+"/days/"+off, staff, extra, nil)

	// Book, with an Idempotency-Key, and book the extra day too.
	var placed struct {
		ID              string `json:"id"`
		MedicalRecordID string `json:"medicalRecordId"`
		Position        uint64 `json:"position"`
	}
	booking := map[string]any{"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet": map[string]string{"name": "Coco", "species": "dog"}, "doctorId": doctor, "slot": day + "T10:00:00+09:00", "reason": "vaccination"}
	hdr := api.must(t, 201, "POST", "/api/v1/reservations", staff, booking, &placed, "Idempotency-Key", "clinic-day-1")
	if hdr.Get("Location") != "/api/v1/reservations/"+placed.ID {
		t.Errorf("Location %q", hdr.Get("Location"))
	}
	api.must(t, 201, "POST", "/api/v1/reservations", staff, map[string]any{"customer": map[string]string{"name": "Park", "phone": "010-9999-0000"},
		"pet": map[string]string{"name": "Nabi", "species": "cat"}, "doctorId": doctor, "slot": off + "T10:30:00+09:00"}, nil)
	res, rec := "/api/v1/reservations/"+placed.ID, "/api/v1/medical-records/"+placed.MedicalRecordID

	// The desk typed the phone wrong and the pet's name in Korean: correct both.
	api.must(t, 200, "PUT", res+"/details", staff, map[string]any{"customer": map[string]string{"name": "Jackson Lee", "phone": "010-2222-3333"},
		"pet": map[string]string{"name": "Coco", "species": "dog"}, "reason": "phone mistyped"}, nil)
	api.must(t, 200, "POST", res+"/check-in", staff, nil, nil)
	api.must(t, 200, "POST", rec+"/diagnosis", vet, map[string]any{"findings": "ear canal red", "diagnosis": "otitis externa"}, nil)
	api.must(t, 200, "POST", rec+"/treatments", vet, map[string]any{"items": []map[string]any{
		{"code": "CONSULT", "quantity": 1}, {"code": "XRAY", "quantity": 2}, {"code": "RX-DISPENSE", "quantity": 1}}}, nil)
	api.must(t, 200, "PUT", rec+"/treatments/2", vet, map[string]any{"code": "XRAY", "quantity": 1}, nil)
	api.must(t, 200, "POST", rec+"/treatments/3/remove", vet, map[string]any{"reason": "not dispensed"}, nil)
	api.must(t, 200, "POST", rec+"/prescriptions", vet, map[string]any{"items": []map[string]any{
		{"drug": "Otomax", "dosage": "4 drops", "frequency": "twice daily", "days": 7}}}, nil)
	var fin struct {
		InvoiceID string     `json:"invoiceId"`
		Total     amountJSON `json:"total"`
	}
	api.must(t, 200, "POST", rec+"/finalize", vet, nil, &fin)
	if fin.Total.Amount != 15000+40000 {
		t.Errorf("finalised total %+v, want 55000 (the corrected and the removed line)", fin.Total)
	}
	inv := "/api/v1/invoices/" + fin.InvoiceID
	api.must(t, 200, "POST", inv+"/discounts", staff, map[string]any{"amount": 5000, "reason": "loyal customer"}, nil)
	api.must(t, 200, "POST", inv+"/payments", staff, map[string]any{"amount": 50000, "currency": fees.Currency, "method": "card"}, nil)
	var refunded bill
	api.must(t, 200, "POST", inv+"/refunds", staff, map[string]any{"amount": 10000, "method": "card", "reason": "x-ray view not taken"}, &refunded)
	var completed struct {
		Position uint64 `json:"position"`
	}
	api.must(t, 200, "POST", res+"/complete", staff, nil, &completed)
	if refunded.Balance.Amount != 10000 || refunded.Paid.Amount != 40000 || refunded.Refunded.Amount != 10000 {
		t.Errorf("after the refund: %+v", refunded)
	}

	// Read it all back, each read waiting for the last write's position.
	at := url.Values{"minPosition": {fmt.Sprint(completed.Position)}}.Encode()
	var visit httpapi.Read[httpapi.VisitResponse]
	api.must(t, 200, "GET", res+"?"+at, staff, nil, &visit)
	if v := visit.Data; v.Customer.Phone != "010-2222-3333" || v.Status != "completed" || v.Invoice == nil || v.Invoice.Total != 50000 ||
		v.Invoice.Paid != 40000 || v.Invoice.Balance != 10000 || v.Invoice.Discounted != 5000 {
		t.Errorf("reservation: %+v", v)
	}
	var record httpapi.Read[httpapi.RecordResponse]
	api.must(t, 200, "GET", rec+"?"+at, staff, nil, &record)
	if r := record.Data; r.Status != "finalized" || len(r.Lines) != 2 || r.Lines[1].Code != "XRAY" || r.Lines[1].Quantity != 1 ||
		r.Total != 55000 || r.Diagnosis != "otitis externa" || r.Findings != "ear canal red" || len(r.Prescriptions) != 1 {
		t.Errorf("record: %+v", r)
	}
	if l := record.Data.Lines; len(l) == 2 && (l[0].No == 0 || l[1].No <= l[0].No) {
		t.Errorf("record lines keep their numbers: %+v", l)
	}
	var history httpapi.Read[httpapi.RecordHistoryResponse]
	api.must(t, 200, "GET", rec+"/history?limit=200&"+at, staff, nil, &history)
	var events []string
	for _, e := range history.Data.Entries {
		events = append(events, e.Event)
	}
	for _, want := range []string{"MedicalRecordOpened", "DiagnosisRecorded", "TreatmentsAdded", "TreatmentLineCorrected",
		"TreatmentLineRemoved", "PrescriptionsAdded", "MedicalRecordFinalized"} {
		if !slices.Contains(events, want) {
			t.Errorf("history %v lacks %s", events, want)
		}
	}
	var sheet httpapi.Read[httpapi.DaySheetResponse]
	api.must(t, 200, "GET", "/api/v1/day-sheet?date="+day+"&"+at, staff, nil, &sheet)
	if len(sheet.Data.Visits) != 1 || sheet.Data.Visits[0].ID != placed.ID || sheet.Data.Visits[0].Status != "completed" {
		t.Errorf("day sheet: %+v", sheet.Data)
	}
	api.must(t, 200, "GET", "/api/v1/day-sheet?date="+off+"&"+at, staff, nil, &sheet)
	if len(sheet.Data.Visits) != 1 || sheet.Data.Visits[0].Pet.Name != "Nabi" {
		t.Errorf("the extra day's sheet: %+v", sheet.Data)
	}
	var invoice httpapi.Read[httpapi.InvoiceResponse]
	api.must(t, 200, "GET", inv+"?"+at, staff, nil, &invoice)
	if i := invoice.Data; i.Total != 50000 || i.Paid != 40000 || i.Refunded != 10000 || i.Balance != 10000 ||
		len(i.Lines) != 2 || len(i.Payments) != 1 || len(i.Refunds) != 1 || i.Customer.Phone != "010-2222-3333" ||
		i.Discounted != 5000 || len(i.Discounts) != 1 || i.Discounts[0].Amount != 5000 {
		t.Errorf("invoice: %+v", i)
	}
	var found httpapi.Read[httpapi.SearchResponse]
	api.must(t, 200, "GET", "/api/v1/reservations?phone=010-2222-3333&"+at, staff, nil, &found)
	if len(found.Data.Reservations) != 1 {
		t.Errorf("search by the corrected phone: %+v", found.Data)
	}
	api.must(t, 200, "GET", "/api/v1/ledger/invoices/"+fin.InvoiceID+"?"+at, staff, nil, nil)
	api.must(t, 200, "GET", "/api/v1/ledger/days/"+time.Now().In(mustZone(t, doctors.TimeZone)).Format(time.DateOnly)+"?"+at, staff, nil, nil)
	api.must(t, 200, "GET", "/api/v1/availability?date="+off+"&"+at, staff, nil, nil)

	// The customer's lookup follows the corrected phone: the new number finds
	// the visit, its itemised bill and prescriptions; the old one does not.
	customer := p.token(t, "customer", "010-2222-3333")
	var mine struct {
		Reservations []struct {
			ID   string `json:"id"`
			Bill *struct {
				Balance int64 `json:"balance"`
			} `json:"bill"`
		} `json:"reservations"`
	}
	api.must(t, 200, "GET", "/api/v1/lookup/reservations?"+at, customer, nil, &mine)
	if len(mine.Reservations) != 1 || mine.Reservations[0].Bill == nil || mine.Reservations[0].Bill.Balance != 10000 {
		t.Errorf("the customer's lookup: %+v", mine)
	}
	api.must(t, 200, "GET", "/api/v1/lookup/reservations/"+placed.ID+"?"+at, "", nil, nil, "X-Customer-Phone", "010-2222-3333")
	api.must(t, 404, "GET", "/api/v1/lookup/reservations/"+placed.ID+"?"+at, "", nil, nil, "X-Customer-Phone", "010-1234-5678")
	api.must(t, 403, "GET", rec, customer, nil, nil)
	api.must(t, 200, "GET", "/api/v1/notifications?reservationId="+placed.ID, staff, nil, nil)

	// The typed client the CLIs use reads the same answers through the contract.
	cl := httpapi.NewClient(p.base, staff, api.hc)
	if _, err := cl.MedicalRecordHistory(context.Background(), placed.MedicalRecordID, httpapi.Page{Limit: 2}, completed.Position); err != nil {
		t.Error(err)
	}
	if _, err := cl.Projections(context.Background()); err != nil {
		t.Error(err)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

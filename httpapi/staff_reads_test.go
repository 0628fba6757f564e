package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/projections/ledger"
)

// staffAnswer is the envelope of every staff read.
type staffAnswer[T any] struct {
	Position uint64 `json:"position"`
	Data     T      `json:"data"`
	Next     string `json:"next"`
}

var readsNow = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC) // noon in Seoul

func TestStaffReadOfAReservation(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, readsNow)
	coco, _ := f.clinicDay(t)
	staff := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	var got staffAnswer[VisitResponse]
	if code, body := f.get(t, "/api/v1/reservations/"+coco.res.String(), staff, &got); code != 200 {
		t.Fatalf("GET reservation = %d %s", code, body)
	}
	r := got.Data
	if got.Position != f.last.Position.Commit || r.ID != coco.res.String() || r.Status != "completed" || r.DoctorID != "dr-kim" ||
		r.SlotLocal != "2026-12-01T10:00:00+09:00" || !r.Slot.Equal(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)) || r.TimeZone != "Asia/Seoul" ||
		r.Customer.Name != "Jackson Lee" || r.Pet.Name != "Coco" || r.MedicalRecord.ID != coco.rec.String() || r.MedicalRecord.Status != "finalized" ||
		r.Reason != "vaccination" {
		t.Errorf("reservation %+v", got)
	}
	if r.Invoice == nil || r.Invoice.InvoiceID != coco.inv.String() || r.Invoice.Balance != 10000 || r.Invoice.Paid != 20000 || r.Invoice.Refunded != 10000 {
		t.Errorf("invoice %+v", r.Invoice)
	}
	var statuses []string
	for _, h := range r.History {
		statuses = append(statuses, h.Status+"/"+h.By)
	}
	if fmt.Sprint(statuses) != "[booked/nurse-kim checked_in/nurse-kim completed/nurse-kim]" {
		t.Errorf("history %v; want every status change with the caller from the metadata", statuses)
	}
	for path, want := range map[string]int{
		"/api/v1/reservations/" + uuid.NewString():                                                404,
		"/api/v1/reservations/not-a-uuid":                                                         400,
		fmt.Sprintf("/api/v1/reservations/%s?minPosition=%d", coco.res, f.last.Position.Commit+1): 503,
		fmt.Sprintf("/api/v1/reservations/%s?minPosition=%d", coco.res, f.last.Position.Commit):   200,
	} {
		if code, body := f.get(t, path, staff, nil); code != want {
			t.Errorf("GET %s = %d %s, want %d", path, code, body, want)
		}
	}
}

func TestStaffReadOfAMedicalRecordAndItsHistory(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, readsNow)
	coco, _ := f.clinicDay(t)
	staff := f.auth.token(t, "dr-kim", auth.RoleStaff)
	var got staffAnswer[RecordResponse]
	if code, body := f.get(t, "/api/v1/medical-records/"+coco.rec.String(), staff, &got); code != 200 {
		t.Fatalf("GET record = %d %s", code, body)
	}
	r := got.Data
	if r.Status != "finalized" || r.Diagnosis != "otitis externa" || !strings.HasPrefix(r.Findings, "INTERNAL-FINDINGS") ||
		r.DiagnosedBy != "dr-kim" || r.InvoiceID != coco.inv.String() || r.Total != 30000 || r.Currency != "KRW" ||
		r.Visit.ReservationID != coco.res.String() || r.Visit.AtLocal != "2026-12-01T10:00:00+09:00" || r.Visit.Pet.Name != "Coco" {
		t.Errorf("record %+v", r)
	}
	if len(r.Lines) != 1 || r.Lines[0].UnitPrice != 15000 || r.Lines[0].Quantity != 2 || r.Lines[0].LineTotal != 30000 || r.Lines[0].AddedBy != "dr-kim" {
		t.Errorf("lines %+v", r.Lines)
	}
	if len(r.Prescriptions) != 1 || r.Prescriptions[0].Drug != "Amoxicillin" || len(r.Addenda) != 1 || r.Addenda[0].By != "dr-kim" ||
		!strings.HasPrefix(r.Addenda[0].Text, "INTERNAL-ADDENDUM") {
		t.Errorf("prescriptions %+v addenda %+v", r.Prescriptions, r.Addenda)
	}

	var hist staffAnswer[RecordHistoryResponse]
	if code, body := f.get(t, "/api/v1/medical-records/"+coco.rec.String()+"/history", staff, &hist); code != 200 {
		t.Fatalf("GET history = %d %s", code, body)
	}
	var events []string
	for _, e := range hist.Data.Entries {
		events = append(events, e.Event+"/"+e.By)
		if e.What == "" || e.At.IsZero() || e.Position == 0 {
			t.Errorf("entry %+v says too little", e)
		}
	}
	want := "[MedicalRecordOpened/nurse-kim DiagnosisRecorded/dr-kim TreatmentsAdded/dr-kim PrescriptionsAdded/dr-kim MedicalRecordFinalized/dr-kim AddendumAdded/dr-kim]"
	if fmt.Sprint(events) != want {
		t.Errorf("history %v\nwant    %s", events, want)
	}
	// The history pages like every list.
	var page staffAnswer[RecordHistoryResponse]
	f.get(t, "/api/v1/medical-records/"+coco.rec.String()+"/history?limit=4", staff, &page)
	var rest staffAnswer[RecordHistoryResponse]
	f.get(t, "/api/v1/medical-records/"+coco.rec.String()+"/history?limit=4&cursor="+page.Next, staff, &rest)
	if len(page.Data.Entries) != 4 || page.Next == "" || len(rest.Data.Entries) != 2 || rest.Next != "" {
		t.Errorf("history pages: %d (next %q) then %d (next %q)", len(page.Data.Entries), page.Next, len(rest.Data.Entries), rest.Next)
	}
	if code, _ := f.get(t, "/api/v1/medical-records/"+uuid.NewString(), staff, nil); code != 404 {
		t.Errorf("unknown record = %d, want 404", code)
	}
}

func TestStaffReadOfAnInvoice(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, readsNow)
	coco, _ := f.clinicDay(t)
	staff := f.auth.token(t, "desk-park", auth.RoleStaff)
	var got staffAnswer[InvoiceResponse]
	if code, body := f.get(t, "/api/v1/invoices/"+coco.inv.String(), staff, &got); code != 200 {
		t.Fatalf("GET invoice = %d %s", code, body)
	}
	i := got.Data
	if i.ReservationID != coco.res.String() || i.Total != 30000 || i.Paid != 20000 || i.Refunded != 10000 || i.Balance != 10000 ||
		i.Status != "partially_paid" || len(i.Lines) != 1 || i.Lines[0].UnitPrice != 15000 || i.Discounts == nil || len(i.Discounts) != 0 {
		t.Errorf("invoice %+v", i)
	}
	if len(i.Payments) != 1 || i.Payments[0].Amount != 30000 || i.Payments[0].By != "desk-park" ||
		len(i.Refunds) != 1 || i.Refunds[0].Reason != "double charge" {
		t.Errorf("payments %+v refunds %+v", i.Payments, i.Refunds)
	}
	if code, _ := f.get(t, "/api/v1/invoices/"+uuid.NewString(), staff, nil); code != 404 {
		t.Errorf("unknown invoice = %d, want 404", code)
	}
}

func TestDaySheetAndSearch(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, readsNow)
	coco, nabi := f.clinicDay(t)
	staff := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	var sheet staffAnswer[DaySheetResponse]
	if code, body := f.get(t, "/api/v1/day-sheet?date=2026-12-01", staff, &sheet); code != 200 {
		t.Fatalf("day sheet = %d %s", code, body)
	}
	v := sheet.Data.Visits
	if len(v) != 2 || v[0].ID != nabi.res.String() || v[1].ID != coco.res.String() || v[1].Balance != 10000 || v[0].SlotLocal != "2026-12-01T09:30:00+09:00" ||
		v[0].DoctorID != "dr-lee" || v[1].Status != "completed" || v[1].Customer.Name != "Jackson Lee" || v[1].Pet.Name != "Coco" {
		t.Errorf("day sheet %+v", sheet)
	}
	var one staffAnswer[DaySheetResponse]
	f.get(t, "/api/v1/day-sheet?date=2026-12-01&limit=1", staff, &one)
	var two staffAnswer[DaySheetResponse]
	f.get(t, "/api/v1/day-sheet?date=2026-12-01&limit=1&cursor="+one.Next, staff, &two)
	if len(one.Data.Visits) != 1 || one.Data.Visits[0].ID != nabi.res.String() || len(two.Data.Visits) != 1 || two.Data.Visits[0].ID != coco.res.String() || two.Next != "" {
		t.Errorf("day sheet pages %+v / %+v", one, two)
	}
	for q, want := range map[string]string{
		"phone=01012345678":     coco.res.String(),
		"name=jackson%20%20LEE": coco.res.String(),
		"pet=nabi":              nabi.res.String(),
		"from=2026-12-01&to=2026-12-01&status=booked":             nabi.res.String(),
		"pet=coco&status=completed&from=2026-11-01&to=2026-12-31": coco.res.String(),
		"pet=coco&status=cancelled":                               "",
		"name=jackson":                                            "",
	} {
		var got staffAnswer[SearchResponse]
		if code, body := f.get(t, "/api/v1/reservations?"+q, staff, &got); code != 200 {
			t.Errorf("search %s = %d %s", q, code, body)
			continue
		}
		var ids []string
		for _, r := range got.Data.Reservations {
			ids = append(ids, r.ID)
		}
		if strings.Join(ids, ",") != want {
			t.Errorf("search %s = %v, want %q", q, ids, want)
		}
	}
	for q, want := range map[string]int{
		"":                              422, // nothing to search by
		"from=2026-01-01&to=2026-12-31": 422, // too wide without a name
		"status=lost&phone=010":         422,
		"from=yesterday&pet=coco":       422,
		"pet=coco&limit=500":            400,
	} {
		if code, body := f.get(t, "/api/v1/reservations?"+q, staff, nil); code != want {
			t.Errorf("search %q = %d %s, want %d", q, code, body, want)
		}
	}
	if code, _ := f.get(t, "/api/v1/day-sheet", staff, nil); code != 422 {
		t.Errorf("day sheet without a date = %d, want 422", code)
	}
	customer := f.auth.token(t, "010-1234-5678", auth.RoleCustomer)
	for _, path := range []string{"/api/v1/day-sheet?date=2026-12-01", "/api/v1/reservations?phone=01012345678",
		"/api/v1/reservations/" + coco.res.String(), "/api/v1/medical-records/" + coco.rec.String(),
		"/api/v1/medical-records/" + coco.rec.String() + "/history", "/api/v1/invoices/" + coco.inv.String()} {
		if code, _ := f.get(t, path, customer, nil); code != http.StatusForbidden {
			t.Errorf("customer on %s = %d, want 403", path, code)
		}
	}
}

// TestCustomersSeeTheirRecordButNotItsStaffOnlyParts: through their lookup a
// customer reads the diagnosis, the prescriptions and the itemised bill,
// never the findings, the addenda or who did what.
func TestCustomersSeeTheirRecordButNotItsStaffOnlyParts(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, readsNow)
	coco, _ := f.clinicDay(t)
	customer := f.auth.token(t, "010-1234-5678", auth.RoleCustomer)
	for name, get := range map[string]func() (int, []byte){
		"by id with a token": func() (int, []byte) {
			return f.get(t, "/api/v1/lookup/reservations/"+coco.res.String(), customer, nil)
		},
		"by id with the phone": func() (int, []byte) {
			code, _, body := call(t, f.h, "GET", "/api/v1/lookup/reservations/"+coco.res.String(), "", "", "X-Customer-Phone", "01012345678")
			return code, body
		},
		"own list": func() (int, []byte) { return f.get(t, "/api/v1/lookup/reservations", customer, nil) },
	} {
		code, body := get()
		if code != 200 {
			t.Fatalf("%s: %d %s", name, code, body)
		}
		for _, want := range []string{`"diagnosis":"otitis externa"`, `"drug":"Amoxicillin"`, `"unitPrice":15000`, `"quantity":2`, `"lineTotal":30000`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("%s: the customer does not see %s: %s", name, want, body)
			}
		}
		for _, secret := range []string{"INTERNAL", "findings", "addend", "desk-park", "nurse-kim"} {
			if strings.Contains(strings.ToLower(string(body)), strings.ToLower(secret)) {
				t.Errorf("%s: the customer sees %q: %s", name, secret, body)
			}
		}
	}
}

// TestPaidRefundedAndBalanceMeanTheSameEverywhere: after 30,000 paid and
// 10,000 refunded on a 30,000 bill, every view says paid 20,000, refunded
// 10,000, balance 10,000 (the customer's ledger said paid 30,000).
func TestPaidRefundedAndBalanceMeanTheSameEverywhere(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, readsNow)
	coco, _ := f.clinicDay(t)
	staff := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	type triple struct{ paid, refunded, balance int64 }
	got := map[string]triple{}
	var look reservationResponse
	f.get(t, "/api/v1/lookup/reservations/"+coco.res.String(), staff, &look)
	got["lookup"] = triple{look.Bill.Paid, look.Bill.Refunded, look.Bill.Balance}
	var inv staffAnswer[ledger.InvoiceAccount]
	f.get(t, "/api/v1/ledger/invoices/"+coco.inv.String(), staff, &inv)
	got["ledger invoice"] = triple{inv.Data.Paid, inv.Data.Refunded, inv.Data.Balance}
	var cust staffAnswer[ledger.CustomerAccount]
	f.get(t, "/api/v1/ledger/customers/01012345678", staff, &cust)
	got["ledger customer"] = triple{cust.Data.Paid, cust.Data.Refunded, cust.Data.Balance}
	var detail staffAnswer[InvoiceResponse]
	f.get(t, "/api/v1/invoices/"+coco.inv.String(), staff, &detail)
	got["invoice"] = triple{detail.Data.Paid, detail.Data.Refunded, detail.Data.Balance}
	var res staffAnswer[VisitResponse]
	f.get(t, "/api/v1/reservations/"+coco.res.String(), staff, &res)
	got["reservation"] = triple{res.Data.Invoice.Paid, res.Data.Invoice.Refunded, res.Data.Invoice.Balance}
	for view, g := range got {
		if g != (triple{20000, 10000, 10000}) {
			t.Errorf("%s: paid/refunded/balance %+v, want 20000/10000/10000", view, g)
		}
	}
}

// TestAvailabilityOffersNoPastSlot: at 09:45 in Seoul the 09:00 and 09:30
// slots have begun and are not free, whatever their bookings.
func TestAvailabilityOffersNoPastSlot(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, time.Date(2026, 12, 1, 0, 45, 0, 0, time.UTC))
	f.clinicDay(t)
	staff := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	for _, path := range []string{"/api/v1/doctors/dr-kim/days/2026-12-01/availability", "/api/v1/availability?date=2026-12-01"} {
		code, body := f.get(t, path, staff, nil)
		if code != 200 {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		s := string(body)
		if !strings.Contains(s, `{"start":"2026-12-01T00:00:00Z","capacity":1,"booked":0,"free":0,"past":true}`) ||
			!strings.Contains(s, `{"start":"2026-12-01T00:30:00Z","capacity":1,"booked":0,"free":0,"past":true}`) ||
			!strings.Contains(s, `{"start":"2026-12-01T01:30:00Z","capacity":1,"booked":0,"free":1}`) {
			t.Errorf("GET %s: past slots offered or future ones not: %s", path, s)
		}
	}
}

// TestStaffReadsBeyondTheHead: every staff read asked for a position beyond
// the head of $all waits the bounded time, then answers 503 with
// Retry-After and the position its view really reflects.
func TestStaffReadsBeyondTheHead(t *testing.T) {
	t.Parallel()
	f := newReadsFixture(t, readsNow)
	coco, _ := f.clinicDay(t)
	staff := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	for _, path := range []string{
		"/api/v1/reservations/" + coco.res.String() + "?",
		"/api/v1/reservations?phone=010-1234-5678&",
		"/api/v1/day-sheet?date=2026-12-01&",
		"/api/v1/medical-records/" + coco.rec.String() + "?",
		"/api/v1/medical-records/" + coco.rec.String() + "/history?",
		"/api/v1/invoices/" + coco.inv.String() + "?",
		"/api/v1/ledger/invoices/" + coco.inv.String() + "?",
		"/api/v1/availability?date=2026-12-01&",
	} {
		url := fmt.Sprintf("%sminPosition=%d", path, uint64(math.MaxUint64))
		code, h, body := call(t, f.h, "GET", url, staff, "")
		if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s = %d %v %s; want 503 problem+json with Retry-After", url, code, h, body)
		}
		if got := h.Get("X-View-Position"); got == "" || got == "18446744073709551615" {
			t.Errorf("GET %s: X-View-Position %q; want the view's real position", url, got)
		}
	}
}

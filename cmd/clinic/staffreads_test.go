package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/vetclinic/clinic/httpapi"
)

// TestStaffReadsThroughRun books, examines, bills and pays a visit on a
// `clinic serve` started through run, then reads it back with the typed
// client: the reservation the booking's Location names, its record and
// history, the invoice, the day sheet and the search, each reading its own
// write through minPosition.
func TestStaffReadsThroughRun(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--roles", "command,query,projector", "--check-in-window", "720h") // the visit is a week or more ahead
	staff := p.token(t, "staff", "dr-kim")
	day := workingDays(t, 1)[0]
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil); code != 200 {
		t.Fatalf("open day: %d", code)
	}
	var placed struct {
		ID              string `json:"id"`
		MedicalRecordID string `json:"medicalRecordId"`
	}
	code, hdr := p.do(t, "POST", "/api/v1/reservations", staff, map[string]any{
		"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet":      map[string]string{"name": "Coco", "species": "dog"},
		"doctorId": "dr-kim", "slot": day + "T10:00:00+09:00", "reason": "vaccination"}, &placed)
	if code != http.StatusCreated {
		t.Fatalf("place: %d", code)
	}
	rec := "/api/v1/medical-records/" + placed.MedicalRecordID
	var fin struct {
		InvoiceID string `json:"invoiceId"`
		Position  uint64 `json:"position"`
	}
	for _, step := range []struct {
		path string
		body any
		out  any
	}{
		{"/api/v1/reservations/" + placed.ID + "/check-in", map[string]any{}, nil},
		{rec + "/diagnosis", map[string]any{"findings": "ear red", "diagnosis": "otitis externa"}, nil},
		{rec + "/treatments", map[string]any{"items": []map[string]any{{"code": "CONSULT", "quantity": 1}}}, nil},
		{rec + "/finalize", nil, &fin},
	} {
		if code, _ := p.do(t, "POST", step.path, staff, step.body, step.out); code != 200 {
			t.Fatalf("POST %s: %d", step.path, code)
		}
	}
	var paid struct{ Position uint64 }
	if code, _ := p.do(t, "POST", "/api/v1/invoices/"+fin.InvoiceID+"/payments", staff,
		map[string]any{"amount": 5000, "currency": "KRW", "method": "card"}, &paid); code != 200 {
		t.Fatalf("pay: %d", code)
	}

	ctx := context.Background()
	cl := httpapi.NewClient(p.base, staff, nil)
	res, err := cl.Reservation(ctx, placed.ID, paid.Position)
	if err != nil || res.Data.Status != "checked_in" || res.Data.Invoice == nil || res.Data.Invoice.Paid != 5000 || res.Position < paid.Position {
		t.Fatalf("reservation: %+v, %v", res, err)
	}
	if loc := hdr.Get("Location"); loc != "/api/v1/reservations/"+placed.ID {
		t.Errorf("Location %q does not name the reservation read", loc)
	}
	if code, _ := p.do(t, "GET", hdr.Get("Location"), staff, nil, nil); code != 200 {
		t.Errorf("GET Location: %d", code)
	}
	r, err := cl.MedicalRecord(ctx, placed.MedicalRecordID, fin.Position)
	if err != nil || r.Data.Findings != "ear red" || len(r.Data.Lines) != 1 || r.Data.Lines[0].UnitPrice == 0 || r.Data.Status != "finalized" {
		t.Errorf("record: %+v, %v", r, err)
	}
	h, err := cl.MedicalRecordHistory(ctx, placed.MedicalRecordID, httpapi.Page{Limit: 2}, fin.Position)
	if err != nil || len(h.Data.Entries) != 2 || h.Next == "" || h.Data.Entries[1].By != "dr-kim" {
		t.Errorf("history: %+v, %v", h, err)
	}
	inv, err := cl.Invoice(ctx, fin.InvoiceID, paid.Position)
	if err != nil || len(inv.Data.Payments) != 1 || inv.Data.Balance != inv.Data.Total-5000 {
		t.Errorf("invoice: %+v, %v", inv, err)
	}
	sheet, err := cl.DaySheet(ctx, day, httpapi.Page{}, paid.Position)
	if err != nil || len(sheet.Data.Visits) != 1 || sheet.Data.Visits[0].SlotLocal != day+"T10:00:00+09:00" {
		t.Errorf("day sheet: %+v, %v", sheet, err)
	}
	found, err := cl.SearchReservations(ctx, httpapi.ReservationSearch{Pet: "coco"}, httpapi.Page{Limit: 10}, paid.Position)
	if err != nil || len(found.Data.Reservations) != 1 || found.Data.Reservations[0].ID != placed.ID {
		t.Errorf("search: %+v, %v", found, err)
	}
}

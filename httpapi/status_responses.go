package httpapi

import (
	"slices"
	"time"

	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// The answer of GET /api/v1/status/{token}, which the status page renders:
// what a customer may know of their own visit. It names no staff member
// (no "by"), carries no phone number and none of the vet's notes (findings,
// addenda), and
// shows the record only once the vet has finalised it. Money is integer
// minor units of the bill's currency; every time is RFC 3339 in UTC and,
// beside it, in the clinic's zone (…Local).

// StatusResponse is one visit as its customer sees it.
type StatusResponse struct {
	ReservationID string                `json:"reservationId"`
	Clinic        string                `json:"clinic"`
	Status        string                `json:"status"`
	Slot          time.Time             `json:"slot"`
	SlotLocal     string                `json:"slotLocal"`
	TimeZone      string                `json:"timeZone"`
	Doctor        StatusDoctor          `json:"doctor"`
	Pet           PetResponse           `json:"pet"`
	Reason        string                `json:"reason,omitempty"`
	Care          *StatusCare           `json:"care"` // null until the record is finalised
	Bill          *StatusBill           `json:"bill"` // null until an invoice is issued
	Timeline      []StatusTimelineEntry `json:"timeline"`
	LinkExpiresAt *time.Time            `json:"linkExpiresAt,omitempty"` // set once the visit is done
	ViewPosition  uint64                `json:"viewPosition"`
}

// StatusDoctor is who sees the pet.
type StatusDoctor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// StatusCare is what was done and prescribed.
type StatusCare struct {
	Diagnosis     string                   `json:"diagnosis,omitempty"`
	Treatments    []StatusLine             `json:"treatments"`
	Prescriptions []StatusPrescriptionItem `json:"prescriptions"`
}

// StatusLine is one priced treatment.
type StatusLine struct {
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
	UnitPrice   int64  `json:"unitPrice"`
	LineTotal   int64  `json:"lineTotal"`
}

// StatusPrescriptionItem is one prescribed drug.
type StatusPrescriptionItem struct {
	Drug      string `json:"drug"`
	Dosage    string `json:"dosage"`
	Frequency string `json:"frequency"`
	Days      int    `json:"days"`
	Notes     string `json:"notes,omitempty"`
}

// StatusBill is the itemised bill and what is still owed: Subtotal is the
// lines' sum, Discounted the discounts, Total what is billed (Subtotal
// minus Discounted), Paid what was paid and not refunded, Balance what is
// still owed (Total minus Paid).
type StatusBill struct {
	Status     string          `json:"status"`
	Currency   string          `json:"currency"`
	Lines      []StatusLine    `json:"lines"`
	Subtotal   int64           `json:"subtotal"`
	Discounted int64           `json:"discounted"`
	Total      int64           `json:"total"`
	Paid       int64           `json:"paid"`
	Refunded   int64           `json:"refunded"`
	Balance    int64           `json:"balance"`
	Payments   []StatusPayment `json:"payments"`
	IssuedAt   time.Time       `json:"issuedAt"`
}

// StatusPayment is one payment (positive) or refund (negative).
type StatusPayment struct {
	Amount  int64     `json:"amount"`
	Method  string    `json:"method"`
	At      time.Time `json:"at"`
	AtLocal string    `json:"atLocal"`
}

// StatusTimelineEntry is one change of the visit, oldest first.
type StatusTimelineEntry struct {
	Event     string    `json:"event"`
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
	AtLocal   string    `json:"atLocal"`
	Slot      time.Time `json:"slot"`
	SlotLocal string    `json:"slotLocal"`
}

func newStatusResponse(v visits.Visit, cl *clinic.Clinic, loc *time.Location, expires time.Time) StatusResponse {
	r := StatusResponse{ReservationID: v.ID, Status: v.Status, Slot: v.Slot.UTC(), SlotLocal: local(v.Slot, loc),
		TimeZone: loc.String(), Doctor: StatusDoctor{ID: v.DoctorID, Name: v.DoctorID},
		Pet: PetResponse{Name: v.PetName, Species: v.PetSpecies}, Reason: v.Reason,
		Timeline: make([]StatusTimelineEntry, 0, len(v.History)), LinkExpiresAt: timePtr(expires)}
	if cl != nil {
		r.Clinic = cl.Name
		if d, ok := cl.Doctor(v.DoctorID); ok {
			r.Doctor.Name = d.Name
		}
	}
	for _, h := range v.History {
		r.Timeline = append(r.Timeline, StatusTimelineEntry{Event: h.Event, Status: h.Status, At: h.At.UTC(),
			AtLocal: local(h.At, loc), Slot: h.Slot.UTC(), SlotLocal: local(h.Slot, loc)})
	}
	return r
}

func newStatusCare(rec records.Record) *StatusCare {
	c := &StatusCare{Diagnosis: rec.Diagnosis, Treatments: make([]StatusLine, 0, len(rec.Lines)),
		Prescriptions: make([]StatusPrescriptionItem, 0, len(rec.Prescriptions))}
	for _, l := range rec.Lines {
		c.Treatments = append(c.Treatments, StatusLine{Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
	}
	for _, p := range rec.Prescriptions {
		c.Prescriptions = append(c.Prescriptions, StatusPrescriptionItem{Drug: p.Drug, Dosage: p.Dosage, Frequency: p.Frequency, Days: p.Days, Notes: p.Notes})
	}
	return c
}

func newStatusBill(inv invoices.Invoice, loc *time.Location) *StatusBill {
	b := &StatusBill{Status: inv.Status, Currency: inv.Currency, Lines: make([]StatusLine, 0, len(inv.Lines)),
		Discounted: inv.Discounted, Total: inv.Total, Paid: inv.Paid, Refunded: inv.Refunded, Balance: inv.Balance,
		Payments: make([]StatusPayment, 0, len(inv.Payments)+len(inv.Refunds)), IssuedAt: inv.IssuedAt.UTC()}
	for _, l := range inv.Lines {
		b.Lines = append(b.Lines, StatusLine{Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
		b.Subtotal += l.LineTotal
	}
	for _, p := range inv.Payments {
		b.Payments = append(b.Payments, StatusPayment{Amount: p.Amount, Method: p.Method, At: p.At.UTC(), AtLocal: local(p.At, loc)})
	}
	for _, p := range inv.Refunds {
		b.Payments = append(b.Payments, StatusPayment{Amount: -p.Amount, Method: p.Method, At: p.At.UTC(), AtLocal: local(p.At, loc)})
	}
	slices.SortStableFunc(b.Payments, func(x, y StatusPayment) int { return x.At.Compare(y.At) })
	return b
}

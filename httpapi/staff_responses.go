package httpapi

import (
	"time"

	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// The answers of the staff reads, written for the API: the read models'
// documents are mapped field by field, so a stored field can be renamed
// without changing the contract. Money is integer minor units of the
// answer's currency; times are RFC 3339 in UTC, and a visit's slot is also
// given in the clinic's zone (slotLocal).

// PersonResponse is who booked.
type PersonResponse struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// PetResponse is who is seen.
type PetResponse struct {
	Name    string `json:"name"`
	Species string `json:"species"`
}

// BillResponse is a visit's invoice in short. Total is what is billed after
// discounts (Discounted sums them), Paid what the customer paid and was not
// given back (payments minus refunds), Refunded the refunds, Balance what is
// still owed: Total minus Paid.
type BillResponse struct {
	InvoiceID  string `json:"invoiceId"`
	Currency   string `json:"currency"`
	Total      int64  `json:"total"`
	Discounted int64  `json:"discounted"`
	Paid       int64  `json:"paid"`
	Refunded   int64  `json:"refunded"`
	Balance    int64  `json:"balance"`
	Status     string `json:"status"`
}

// StatusChangeResponse is one entry of a reservation's status history.
type StatusChangeResponse struct {
	Event     string    `json:"event"`
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Slot      time.Time `json:"slot"`
	SlotLocal string    `json:"slotLocal"`
	DoctorID  string    `json:"doctorId"`
	Reason    string    `json:"reason,omitempty"`
}

// RecordRefResponse names a visit's medical record.
type RecordRefResponse struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// VisitResponse is GET /api/v1/reservations/{id}: the reservation as staff see it.
type VisitResponse struct {
	ID            string                 `json:"id"`
	Status        string                 `json:"status"`
	DoctorID      string                 `json:"doctorId"`
	Slot          time.Time              `json:"slot"`
	SlotLocal     string                 `json:"slotLocal"`
	TimeZone      string                 `json:"timeZone"`
	Day           string                 `json:"day"`
	Reason        string                 `json:"reason,omitempty"`
	Customer      PersonResponse         `json:"customer"`
	Pet           PetResponse            `json:"pet"`
	MedicalRecord RecordRefResponse      `json:"medicalRecord"`
	Invoice       *BillResponse          `json:"invoice"`
	BookedAt      *time.Time             `json:"bookedAt,omitempty"`
	History       []StatusChangeResponse `json:"history"`
}

func local(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

func newBillResponse(b *visits.Bill) *BillResponse {
	if b == nil {
		return nil
	}
	return &BillResponse{InvoiceID: b.InvoiceID, Currency: b.Currency, Total: b.Total, Discounted: b.Discounted,
		Paid: b.Paid, Refunded: b.Refunded, Balance: b.Balance, Status: b.Status}
}

func newVisitResponse(v visits.Visit, loc *time.Location) VisitResponse {
	r := VisitResponse{ID: v.ID, Status: v.Status, DoctorID: v.DoctorID, Slot: v.Slot.UTC(), SlotLocal: local(v.Slot, loc),
		TimeZone: loc.String(), Day: v.Day, Reason: v.Reason,
		Customer: PersonResponse{Name: v.CustomerName, Phone: v.CustomerPhone}, Pet: PetResponse{Name: v.PetName, Species: v.PetSpecies},
		MedicalRecord: RecordRefResponse{ID: v.MedicalRecordID, Status: v.RecordStatus}, Invoice: newBillResponse(v.Bill),
		History: make([]StatusChangeResponse, 0, len(v.History))}
	if !v.BookedAt.IsZero() {
		t := v.BookedAt.UTC()
		r.BookedAt = &t
	}
	for _, h := range v.History {
		r.History = append(r.History, StatusChangeResponse{Event: h.Event, Status: h.Status, At: h.At.UTC(), By: h.By,
			Slot: h.Slot.UTC(), SlotLocal: local(h.Slot, loc), DoctorID: h.DoctorID, Reason: h.Reason})
	}
	return r
}

// SheetRowResponse is one visit of the day sheet or of a search.
type SheetRowResponse struct {
	ID              string         `json:"id"`
	Slot            time.Time      `json:"slot"`
	SlotLocal       string         `json:"slotLocal"`
	Day             string         `json:"day"`
	DoctorID        string         `json:"doctorId"`
	Status          string         `json:"status"`
	Customer        PersonResponse `json:"customer"`
	Pet             PetResponse    `json:"pet"`
	MedicalRecordID string         `json:"medicalRecordId"`
	Invoice         *BillResponse  `json:"invoice"`
	Balance         int64          `json:"balance"`
}

func newSheetRows(vs []visits.Visit, loc *time.Location) []SheetRowResponse {
	out := make([]SheetRowResponse, 0, len(vs))
	for _, v := range vs {
		row := SheetRowResponse{ID: v.ID, Slot: v.Slot.UTC(), SlotLocal: local(v.Slot, loc), Day: v.Day, DoctorID: v.DoctorID,
			Status: v.Status, Customer: PersonResponse{Name: v.CustomerName, Phone: v.CustomerPhone},
			Pet: PetResponse{Name: v.PetName, Species: v.PetSpecies}, MedicalRecordID: v.MedicalRecordID, Invoice: newBillResponse(v.Bill)}
		if v.Bill != nil {
			row.Balance = v.Bill.Balance
		}
		out = append(out, row)
	}
	return out
}

// DaySheetResponse is the data of GET /api/v1/day-sheet.
type DaySheetResponse struct {
	Date     string             `json:"date"`
	TimeZone string             `json:"timeZone"`
	Visits   []SheetRowResponse `json:"visits"`
}

// SearchResponse is the data of GET /api/v1/reservations (the search).
type SearchResponse struct {
	Reservations []SheetRowResponse `json:"reservations"`
}

// LineResponse is one priced treatment: unit price times quantity.
type LineResponse struct {
	No          int        `json:"line,omitempty"` // the number a removal or correction names
	Code        string     `json:"code"`
	Description string     `json:"description"`
	Quantity    int        `json:"quantity"`
	UnitPrice   int64      `json:"unitPrice"`
	LineTotal   int64      `json:"lineTotal"`
	AddedAt     *time.Time `json:"addedAt,omitempty"`
	AddedBy     string     `json:"addedBy,omitempty"`
}

// PrescriptionResponse is one prescribed drug.
type PrescriptionResponse struct {
	Drug      string    `json:"drug"`
	Dosage    string    `json:"dosage"`
	Frequency string    `json:"frequency"`
	Days      int       `json:"days"`
	Notes     string    `json:"notes,omitempty"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
}

// AddendumResponse is one note added to a record.
type AddendumResponse struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
	By   string    `json:"by"`
}

// RecordVisitResponse is the visit a record belongs to.
type RecordVisitResponse struct {
	ReservationID string         `json:"reservationId"`
	DoctorID      string         `json:"doctorId"`
	At            time.Time      `json:"at"`
	AtLocal       string         `json:"atLocal"`
	Reason        string         `json:"reason,omitempty"`
	Customer      PersonResponse `json:"customer"`
	Pet           PetResponse    `json:"pet"`
}

// RecordResponse is GET /api/v1/medical-records/{id}: the whole record.
type RecordResponse struct {
	ID            string                 `json:"id"`
	Status        string                 `json:"status"`
	Visit         RecordVisitResponse    `json:"visit"`
	Findings      string                 `json:"findings"`
	Diagnosis     string                 `json:"diagnosis"`
	DiagnosedAt   *time.Time             `json:"diagnosedAt,omitempty"`
	DiagnosedBy   string                 `json:"diagnosedBy,omitempty"`
	Currency      string                 `json:"currency"`
	Lines         []LineResponse         `json:"lines"`
	Total         int64                  `json:"total"`
	Prescriptions []PrescriptionResponse `json:"prescriptions"`
	Addenda       []AddendumResponse     `json:"addenda"`
	InvoiceID     string                 `json:"invoiceId,omitempty"`
	FinalizedAt   *time.Time             `json:"finalizedAt,omitempty"`
	FinalizedBy   string                 `json:"finalizedBy,omitempty"`
	VoidReason    string                 `json:"voidReason,omitempty"`
	// VoidedInvoices are the record's earlier invoices, voided, oldest first.
	VoidedInvoices []string `json:"voidedInvoices,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func newRecordResponse(r records.Record, loc *time.Location) RecordResponse {
	out := RecordResponse{ID: r.ID, Status: r.Status, Findings: r.Findings, Diagnosis: r.Diagnosis,
		DiagnosedAt: timePtr(r.DiagnosedAt), DiagnosedBy: r.DiagnosedBy, Currency: r.Currency, Total: r.Total,
		InvoiceID: r.InvoiceID, FinalizedAt: timePtr(r.FinalizedAt), FinalizedBy: r.FinalizedBy, VoidReason: r.VoidReason,
		VoidedInvoices: r.VoidedInvoices,
		Visit: RecordVisitResponse{ReservationID: r.ReservationID, DoctorID: r.Visit.DoctorID, At: r.Visit.At.UTC(),
			AtLocal: local(r.Visit.At, loc), Reason: r.Visit.Reason,
			Customer: PersonResponse{Name: r.Visit.CustomerName, Phone: r.Visit.CustomerPhone},
			Pet:      PetResponse{Name: r.Visit.PetName, Species: r.Visit.PetSpecies}},
		Lines: make([]LineResponse, 0, len(r.Lines)), Prescriptions: make([]PrescriptionResponse, 0, len(r.Prescriptions)),
		Addenda: make([]AddendumResponse, 0, len(r.Addenda))}
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, LineResponse{No: l.No, Code: l.Code, Description: l.Description, Quantity: l.Quantity,
			UnitPrice: l.UnitPrice, LineTotal: l.LineTotal, AddedAt: timePtr(l.AddedAt), AddedBy: l.AddedBy})
	}
	for _, p := range r.Prescriptions {
		out.Prescriptions = append(out.Prescriptions, PrescriptionResponse{Drug: p.Drug, Dosage: p.Dosage, Frequency: p.Frequency,
			Days: p.Days, Notes: p.Notes, At: p.At.UTC(), By: p.By})
	}
	for _, a := range r.Addenda {
		out.Addenda = append(out.Addenda, AddendumResponse{Text: a.Text, At: a.At.UTC(), By: a.By})
	}
	return out
}

// ChangeResponse is one entry of a record's history: what changed, who
// did it and when.
type ChangeResponse struct {
	Event    string    `json:"event"`
	What     string    `json:"what"`
	At       time.Time `json:"at"`
	AtLocal  string    `json:"atLocal"`
	By       string    `json:"by"`
	Position uint64    `json:"position"`
}

// RecordHistoryResponse is the data of GET /api/v1/medical-records/{id}/history.
type RecordHistoryResponse struct {
	MedicalRecordID string           `json:"medicalRecordId"`
	ReservationID   string           `json:"reservationId"`
	Entries         []ChangeResponse `json:"entries"`
}

func newChanges(cs []records.Change, loc *time.Location) []ChangeResponse {
	out := make([]ChangeResponse, 0, len(cs))
	for _, c := range cs {
		out = append(out, ChangeResponse{Event: c.Event, What: c.What, At: c.At.UTC(), AtLocal: local(c.At, loc), By: c.By, Position: c.Position})
	}
	return out
}

// MovementResponse is one payment or refund.
type MovementResponse struct {
	ID     string    `json:"id"`
	Amount int64     `json:"amount"`
	Method string    `json:"method"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// DiscountResponse is one reduction of what is owed.
type DiscountResponse struct {
	ID     string    `json:"id"`
	Amount int64     `json:"amount"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// InvoiceResponse is GET /api/v1/invoices/{id}. Paid, Refunded and Balance
// mean what they mean in BillResponse (docs/read-side.md).
type InvoiceResponse struct {
	ID              string             `json:"id"`
	ReservationID   string             `json:"reservationId"`
	MedicalRecordID string             `json:"medicalRecordId"`
	Status          string             `json:"status"`
	DoctorID        string             `json:"doctorId"`
	Customer        PersonResponse     `json:"customer"`
	Pet             PetResponse        `json:"pet"`
	Currency        string             `json:"currency"`
	Lines           []LineResponse     `json:"lines"`
	Payments        []MovementResponse `json:"payments"`
	Refunds         []MovementResponse `json:"refunds"`
	Discounts       []DiscountResponse `json:"discounts"`
	Total           int64              `json:"total"`
	Discounted      int64              `json:"discounted"`
	Paid            int64              `json:"paid"`
	Refunded        int64              `json:"refunded"`
	Balance         int64              `json:"balance"`
	IssuedAt        time.Time          `json:"issuedAt"`
	IssuedBy        string             `json:"issuedBy"`
	VoidReason      string             `json:"voidReason,omitempty"`
	VoidedAt        *time.Time         `json:"voidedAt,omitempty"`
	VoidedBy        string             `json:"voidedBy,omitempty"`
}

func newInvoiceResponse(i invoices.Invoice) InvoiceResponse {
	out := InvoiceResponse{ID: i.ID, ReservationID: i.ReservationID, MedicalRecordID: i.MedicalRecordID, Status: i.Status,
		DoctorID: i.DoctorID, Customer: PersonResponse{Name: i.CustomerName, Phone: i.CustomerPhone},
		Pet: PetResponse{Name: i.PetName, Species: i.PetSpecies}, Currency: i.Currency, Total: i.Total, Discounted: i.Discounted,
		Paid: i.Paid, Refunded: i.Refunded, Balance: i.Balance, IssuedAt: i.IssuedAt.UTC(), IssuedBy: i.IssuedBy,
		VoidReason: i.VoidReason, VoidedAt: timePtr(i.VoidedAt), VoidedBy: i.VoidedBy,
		Lines: make([]LineResponse, 0, len(i.Lines)), Payments: movements(i.Payments), Refunds: movements(i.Refunds),
		Discounts: make([]DiscountResponse, 0, len(i.Discounts))}
	for _, l := range i.Lines {
		out.Lines = append(out.Lines, LineResponse{Code: l.Code, Description: l.Description, Quantity: l.Quantity,
			UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
	}
	for _, d := range i.Discounts {
		out.Discounts = append(out.Discounts, DiscountResponse{ID: d.ID, Amount: d.Amount, Reason: d.Reason, At: d.At.UTC(), By: d.By})
	}
	return out
}

func movements(ms []invoices.Movement) []MovementResponse {
	out := make([]MovementResponse, 0, len(ms))
	for _, m := range ms {
		out = append(out, MovementResponse{ID: m.ID, Amount: m.Amount, Method: m.Method, Reason: m.Reason, At: m.At.UTC(), By: m.By})
	}
	return out
}

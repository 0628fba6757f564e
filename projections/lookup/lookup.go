// Package lookup is the reservation lookup read model: one document per
// visit with its current state (status, slot, customer, pet, medical
// record, bill and a short timeline), found by id, by the customer's phone
// number and by a doctor's day. It holds the document, its fold, its
// subscriber and the reads its queries make.
package lookup

import (
	"time"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections"
)

// The subscriber's and the collection's names. They are stored: renaming
// one means a rebuild.
const (
	Name = "lookup"
	Coll = "reservations"
)

// Index keys of the lookup documents.
const (
	KeyPhone     = "phone"     // normalised phone number
	KeyDoctorDay = "doctorDay" // doctorID + "|" + YYYY-MM-DD in the clinic's zone
)

// Reservation is the lookup document: the current state of one visit.
type Reservation struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Slot          time.Time       `json:"slot"`
	Day           string          `json:"day"` // the slot's date in the clinic's zone
	DoctorID      string          `json:"doctorId"`
	Reason        string          `json:"reason,omitempty"`
	Customer      Customer        `json:"customer"`
	Pet           Pet             `json:"pet"`
	MedicalRecord Record          `json:"medicalRecord"`
	Bill          *Bill           `json:"bill"`
	Timeline      []TimelineEntry `json:"timeline"`
	Position      uint64          `json:"position"`
	UpdatedAt     time.Time       `json:"updatedAt"`
}

// Customer is who booked.
type Customer struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Pet is who is seen.
type Pet struct {
	Name    string `json:"name"`
	Species string `json:"species"`
}

// Record is the medical record as its customer may see it: status,
// diagnosis and prescriptions. Findings (the doctor's internal notes),
// addenda and who did what are staff-only and never folded in here, since
// this document goes to the customer as it is (docs/read-side.md).
type Record struct {
	ID            string         `json:"id"`
	Status        string         `json:"status"` // open, finalized, voided
	Diagnosis     string         `json:"diagnosis,omitempty"`
	Prescriptions []Prescription `json:"prescriptions,omitempty"`
}

// Prescription is one prescribed drug, as the customer reads it.
type Prescription struct {
	Drug      string `json:"drug"`
	Dosage    string `json:"dosage"`
	Frequency string `json:"frequency"`
	Days      int    `json:"days"`
	Notes     string `json:"notes,omitempty"`
}

// Bill is what the visit costs and what is still owed, in minor units:
// Paid is what the customer paid and was not given back (payments minus
// refunds), Refunded the refunds, Total what is billed after discounts,
// Balance what is still owed (Total minus Paid), as in every view
// (docs/read-side.md).
type Bill struct {
	InvoiceID string `json:"invoiceId"`
	Total     int64  `json:"total"`
	// Discounted sums the discounts (Total is after them); absent until one
	// is granted.
	Discounted int64      `json:"discounted,omitempty"`
	Paid       int64      `json:"paid"`
	Refunded   int64      `json:"refunded"`
	Balance    int64      `json:"balance"`
	Currency   string     `json:"currency"`
	Status     string     `json:"status"`
	Lines      []BillLine `json:"lines,omitempty"`
}

// BillLine is one item of the itemised bill.
type BillLine struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
	UnitPrice   int64  `json:"unitPrice"`
	LineTotal   int64  `json:"lineTotal"`
}

// TimelineEntry is one status change of the visit.
type TimelineEntry struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	Slot   time.Time `json:"slot,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// IndexKeys implements projections.Document.
func (r *Reservation) IndexKeys() map[string]string {
	k := map[string]string{}
	if p := phone.Normalize(r.Customer.Phone); p != "" {
		k[KeyPhone] = p
	}
	if r.DoctorID != "" && r.Day != "" {
		k[KeyDoctorDay] = DoctorDay(r.DoctorID, r.Day)
	}
	return k
}

// DoctorDay is the index value of a doctor's day.
func DoctorDay(doctorID, day string) string { return doctorID + "|" + day }

// Stamp implements projections.Stamped.
func (r *Reservation) Stamp(id string, ev projections.Event) {
	r.ID, r.Position, r.UpdatedAt = id, ev.Position.Commit, ev.Created
}

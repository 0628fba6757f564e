// Package records is the medical records read model for staff: one
// document per record with the whole record (the visit, findings,
// diagnosis, priced treatment lines, prescriptions, addenda, status and
// invoice) and its history, every event as a timeline entry saying what
// changed, who did it and when. It holds the document, its fold, its
// subscriber and the reads its queries make.
package records

import (
	"time"

	"github.com/vetclinic/clinic/projections"
)

// The subscriber's and the collection's names and the index key. They are
// stored: renaming one means a rebuild.
const (
	Name           = "records"
	Coll           = "records"
	KeyReservation = "reservation"
)

// historyMax bounds a record's history; a record has a few dozen events
// at most, the bound only keeps a runaway writer from growing a document
// without end (the events themselves stay the whole audit trail).
const historyMax = 1000

// Record is the records document.
type Record struct {
	ID            string    `json:"id"`
	ReservationID string    `json:"reservationId"`
	Status        string    `json:"status"` // open, finalized, voided
	Visit         Visit     `json:"visit"`
	Findings      string    `json:"findings"`
	Diagnosis     string    `json:"diagnosis"`
	DiagnosedAt   time.Time `json:"diagnosedAt,omitzero"`
	DiagnosedBy   string    `json:"diagnosedBy,omitempty"`
	Lines         []Line    `json:"lines"`
	// LinesAdded counts the lines ever added, so a new line gets the next
	// number (a line keeps its number when another is removed).
	LinesAdded    int            `json:"linesAdded,omitempty"`
	Total         int64          `json:"total"`
	Currency      string         `json:"currency,omitempty"`
	Prescriptions []Prescription `json:"prescriptions"`
	Addenda       []Addendum     `json:"addenda"`
	InvoiceID     string         `json:"invoiceId,omitempty"`
	FinalizedAt   time.Time      `json:"finalizedAt,omitzero"`
	FinalizedBy   string         `json:"finalizedBy,omitempty"`
	VoidReason    string         `json:"voidReason,omitempty"`
	// VoidedInvoices are the invoices voided before this one, oldest first.
	VoidedInvoices []string  `json:"voidedInvoices,omitempty"`
	History        []Change  `json:"history"`
	Position       uint64    `json:"position"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Visit is the visit the record belongs to.
type Visit struct {
	DoctorID      string    `json:"doctorId"`
	At            time.Time `json:"at"`
	Reason        string    `json:"reason,omitempty"`
	CustomerName  string    `json:"customerName"`
	CustomerPhone string    `json:"customerPhone"`
	PetName       string    `json:"petName"`
	PetSpecies    string    `json:"petSpecies"`
}

// Line is one priced treatment, amounts in minor units of Currency.
type Line struct {
	// No is the line's number, its 1-based place among all the lines ever
	// added to the record: what a removal or a correction names (zero in
	// documents folded before it existed, until a rebuild).
	No          int       `json:"line,omitempty"`
	Code        string    `json:"code"`
	Description string    `json:"description"`
	Quantity    int       `json:"quantity"`
	UnitPrice   int64     `json:"unitPrice"`
	LineTotal   int64     `json:"lineTotal"`
	Currency    string    `json:"currency"`
	AddedAt     time.Time `json:"addedAt"`
	AddedBy     string    `json:"addedBy"`
}

// Prescription is one prescribed drug.
type Prescription struct {
	Drug      string    `json:"drug"`
	Dosage    string    `json:"dosage"`
	Frequency string    `json:"frequency"`
	Days      int       `json:"days"`
	Notes     string    `json:"notes,omitempty"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
}

// Addendum is a note added to the record.
type Addendum struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
	By   string    `json:"by"`
}

// Change is one event of the record as its history shows it.
type Change struct {
	Event    string    `json:"event"`    // the stored event type
	What     string    `json:"what"`     // what changed, in words
	At       time.Time `json:"at"`       // when it happened
	By       string    `json:"by"`       // who did it
	Position uint64    `json:"position"` // the event's place in $all
}

// IndexKeys implements projections.Document.
func (r *Record) IndexKeys() map[string]string {
	if r.ReservationID == "" {
		return nil
	}
	return map[string]string{KeyReservation: r.ReservationID}
}

// Stamp implements projections.Stamped.
func (r *Record) Stamp(id string, ev projections.Event) {
	r.ID, r.Position, r.UpdatedAt = id, ev.Position.Commit, ev.Created
}

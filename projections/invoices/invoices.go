// Package invoices is the invoices read model for staff: one document per
// invoice with its priced lines, every payment, refund and discount, and
// the totals after the last of them. It holds the document, its fold, its
// subscriber and the reads its queries make.
package invoices

import (
	"time"

	"github.com/vetclinic/clinic/projections"
)

// The subscriber's and the collection's names and the index key. They are
// stored: renaming one means a rebuild.
const (
	Name           = "invoices"
	Coll           = "invoices"
	KeyReservation = "reservation"
)

// Invoice is the invoices document. Amounts are minor units of Currency.
// Paid, Refunded and Balance mean what they mean in every view
// (docs/read-side.md): Paid is what the customer paid and was not given
// back (payments minus refunds), Refunded the refunds, Total what is billed
// after discounts (Discounted sums them), Balance what is still owed (Total
// minus Paid).
type Invoice struct {
	ID              string     `json:"id"`
	ReservationID   string     `json:"reservationId"`
	MedicalRecordID string     `json:"medicalRecordId"`
	Status          string     `json:"status"`
	DoctorID        string     `json:"doctorId"`
	CustomerName    string     `json:"customerName"`
	CustomerPhone   string     `json:"customerPhone"`
	PetName         string     `json:"petName"`
	PetSpecies      string     `json:"petSpecies"`
	Currency        string     `json:"currency"`
	Lines           []Line     `json:"lines"`
	Payments        []Movement `json:"payments"`
	Refunds         []Movement `json:"refunds"`
	Discounts       []Discount `json:"discounts"`
	Total           int64      `json:"total"`
	Discounted      int64      `json:"discounted"`
	Paid            int64      `json:"paid"`
	Refunded        int64      `json:"refunded"`
	Balance         int64      `json:"balance"`
	IssuedAt        time.Time  `json:"issuedAt"`
	IssuedBy        string     `json:"issuedBy"`
	VoidReason      string     `json:"voidReason,omitempty"`
	VoidedAt        time.Time  `json:"voidedAt,omitzero"`
	VoidedBy        string     `json:"voidedBy,omitempty"`
	Position        uint64     `json:"position"`
	UpdatedAt       time.Time  `json:"updatedAt"`
}

// Line is one billed treatment.
type Line struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
	UnitPrice   int64  `json:"unitPrice"`
	LineTotal   int64  `json:"lineTotal"`
}

// Movement is one payment or refund.
type Movement struct {
	ID     string    `json:"id"`
	Amount int64     `json:"amount"`
	Method string    `json:"method"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// Discount is one reduction of what is owed.
type Discount struct {
	ID     string    `json:"id"`
	Amount int64     `json:"amount"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// IndexKeys implements projections.Document.
func (i *Invoice) IndexKeys() map[string]string {
	if i.ReservationID == "" {
		return nil
	}
	return map[string]string{KeyReservation: i.ReservationID}
}

// Stamp implements projections.Stamped.
func (i *Invoice) Stamp(id string, ev projections.Event) {
	i.ID, i.Position, i.UpdatedAt = id, ev.Position.Commit, ev.Created
}

package notice

import (
	"encoding/json"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// invoiceIssuedType is the stored type of an issued invoice (docs/events.md).
const invoiceIssuedType = "InvoiceIssued"

// invoiceIssued is the part of an InvoiceIssued event a message needs,
// read from the stored schema.
type invoiceIssued struct {
	ReservationID string                 `json:"reservationId"`
	Customer      struct{ Phone string } `json:"customer"`
	Pet           struct{ Name string }  `json:"pet"`
	Balance       struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	} `json:"balance"`
	At time.Time `json:"at"`
}

// invoiceMessage builds the message for an issued invoice: the amount due
// is its balance.
func (s *Service) invoiceMessage(ev projections.Event) (Message, bool) {
	var e invoiceIssued
	if err := json.Unmarshal(ev.Data, &e); err != nil || e.ReservationID == "" {
		s.log.Error("notice: undecodable event skipped", "id", ev.ID, "type", ev.Type, "err", err)
		return Message{}, false
	}
	f := Facts{Kind: KindInvoiceIssued, Clinic: s.cfg.Clinic, Pet: e.Pet.Name,
		Amount: e.Balance.Amount, Currency: e.Balance.Currency}
	return Message{Kind: f.Kind, ReservationID: e.ReservationID, To: Phone(e.Customer.Phone),
		Facts: f, CreatedAt: e.At}, true
}

package notice

import (
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/projections"
)

// invoiceMessage builds the message for an issued invoice: the amount due
// is its balance.
func (s *Service) invoiceMessage(ev projections.Event) (Message, bool) {
	d, err := invoice.Decode(ev.Type, ev.Data)
	e, ok := d.(invoice.Issued)
	if err != nil || !ok {
		s.log.Error("notice: undecodable event skipped", "id", ev.ID, "type", ev.Type, "err", err)
		return Message{}, false
	}
	f := Facts{Kind: KindInvoiceIssued, Clinic: s.cfg.Clinic, Pet: e.Pet.Name,
		Amount: e.Balance.Amount, Currency: e.Balance.Currency}
	return Message{Kind: f.Kind, ReservationID: e.ReservationID.String(), To: Phone(e.Customer.Phone),
		Facts: f, CreatedAt: e.At}, true
}

package notice

import (
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/projections"
)

// invoiceMessage builds the message for an issued invoice (the amount due
// is its balance), a discount or a void bill.
func (s *Service) invoiceMessage(ev projections.Event) (Message, bool) {
	d, err := invoice.Decode(ev.Type, ev.Data)
	if err != nil {
		s.log.Error("notice: undecodable event skipped", "id", ev.ID, "type", ev.Type, "err", err)
		return Message{}, false
	}
	var (
		b invoice.Bill
		f = Facts{Clinic: s.cfg.Clinic}
	)
	switch e := d.(type) {
	case invoice.Issued:
		b, f.Kind, f.Pet, f.Amount = e.Bill, KindInvoiceIssued, e.Pet.Name, e.Balance.Amount
	case invoice.DiscountGranted:
		b, f.Kind, f.Pet, f.Amount, f.Balance = e.Bill, KindDiscounted, e.Pet.Name, e.Amount.Amount, e.Balance.Amount
	case invoice.Voided:
		b, f.Kind, f.Pet = e.Bill, KindInvoiceVoided, e.Pet.Name
	default:
		return Message{}, false
	}
	f.Currency = b.Balance.Currency
	return Message{Kind: f.Kind, ReservationID: b.ReservationID.String(), To: Phone(b.Customer.Phone),
		Facts: f, CreatedAt: b.At}, true
}

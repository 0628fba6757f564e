package invoices

import (
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
)

// Fold returns the invoice an event is about and how it changes the
// invoice's document (nil when it does not). The totals are taken from the
// event (each carries the bill after it), so the fold needs no arithmetic
// on history.
func Fold(e domain.Event) (string, func(*Invoice, projections.Event)) {
	bill := func(b invoice.Bill, f func(*Invoice, string)) (string, func(*Invoice, projections.Event)) {
		return b.InvoiceID.String(), func(i *Invoice, ev projections.Event) {
			i.ReservationID, i.MedicalRecordID = b.ReservationID.String(), b.MedicalRecordID.String()
			i.CustomerName, i.CustomerPhone = b.Customer.Name, b.Customer.Phone
			i.Currency, i.Total, i.Paid, i.Refunded, i.Balance = b.Total.Currency, b.Total.Amount, b.Paid.Amount, b.Refunded.Amount, b.Balance.Amount
			i.Discounted = b.Discounted.Amount
			i.Status = string(b.Status)
			if i.Lines == nil {
				i.Lines, i.Payments, i.Refunds, i.Discounts = []Line{}, []Movement{}, []Movement{}, []Discount{}
			}
			f(i, ev.Actor(b.By))
		}
	}
	switch e := e.(type) {
	case invoice.Issued:
		return bill(e.Bill, func(i *Invoice, by string) {
			i.DoctorID, i.PetName, i.PetSpecies, i.IssuedAt, i.IssuedBy = e.DoctorID, e.Pet.Name, e.Pet.Species, e.At.UTC(), by
			i.Lines = make([]Line, 0, len(e.Lines))
			for _, l := range e.Lines {
				i.Lines = append(i.Lines, Line{Code: l.Code, Description: l.Description, Quantity: l.Quantity,
					UnitPrice: l.UnitPrice.Amount, LineTotal: l.LineTotal.Amount})
			}
		})
	case invoice.PaymentRecorded:
		return bill(e.Bill, func(i *Invoice, by string) {
			i.Payments = append(i.Payments, Movement{ID: e.PaymentID.String(), Amount: e.Amount.Amount, Method: e.Method, At: e.At.UTC(), By: by})
		})
	case invoice.PaymentRefunded:
		return bill(e.Bill, func(i *Invoice, by string) {
			i.Refunds = append(i.Refunds, Movement{ID: e.RefundID.String(), Amount: e.Amount.Amount, Method: e.Method, Reason: e.Reason, At: e.At.UTC(), By: by})
		})
	case invoice.DiscountGranted:
		return bill(e.Bill, func(i *Invoice, by string) {
			i.Discounts = append(i.Discounts, Discount{ID: e.DiscountID.String(), Amount: e.Amount.Amount, Reason: e.Reason, At: e.At.UTC(), By: by})
		})
	case invoice.Voided:
		return bill(e.Bill, func(i *Invoice, by string) {
			i.VoidReason, i.VoidedAt, i.VoidedBy = e.Reason, e.At.UTC(), by
		})
	case invoice.CustomerChanged:
		// bill has taken the new customer from the event; the pet is in
		// the events that carry it.
		return bill(e.Bill, func(i *Invoice, _ string) {
			if e.Pet != (reservation.Pet{}) {
				i.PetName, i.PetSpecies = e.Pet.Name, e.Pet.Species
			}
		})
	}
	return "", nil
}

// Ignored lists the event types the invoices read model does not fold,
// each with why (TestEveryReadModelHandlesEveryEventType keeps the list
// and Fold in step with the domain): it reads the invoice streams only.
func Ignored() map[string]string {
	return projections.IgnoreAllBut(invoice.Types(), "not an invoice event: the invoice events carry the bill")
}

package ledger

import (
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/projections"
)

// Subscriber is the billing ledger projection; loc is the clinic's zone (for
// the day an entry falls on). Every document's fold reads only that
// document and the event, so a partly written batch (MongoDB has no
// transaction here) converges when it is redelivered.
func Subscriber(loc *time.Location) projections.Subscriber {
	return projections.Subscriber{
		Name:   Name,
		Filter: projections.Filter{StreamPrefixes: []string{invoice.StreamPrefix}},
		Indexes: map[string][]string{
			Entries:  {KeyDay, KeyInvoice, KeyPhone},
			Invoices: {KeyPhone},
		},
		Decode: projections.DecodeAhead,
		Handle: projections.OnDomainEvent(func(tx *projections.Tx, ev projections.Event, d domain.Event) error {
			entry, b, ok := EntryOf(ev, d, loc)
			if !ok {
				return nil
			}
			if err := projections.Fold(tx, Entries, entry.ID, ev, func(e *Entry, _ bool) error {
				*e = entry
				return nil
			}); err != nil {
				return err
			}
			if err := projections.Fold(tx, Invoices, entry.InvoiceID, ev, func(a *InvoiceAccount, _ bool) error {
				FoldInvoiceAccount(a, entry, b)
				return nil
			}); err != nil {
				return err
			}
			if entry.Kind == KindMove && entry.FromPhone != "" && entry.FromPhone != entry.Phone {
				if err := projections.Fold(tx, Customers, entry.FromPhone, ev, func(a *CustomerAccount, _ bool) error {
					FoldMovedOut(a, entry)
					return nil
				}); err != nil {
					return err
				}
			}
			if entry.Phone != "" {
				if err := projections.Fold(tx, Customers, entry.Phone, ev, func(a *CustomerAccount, _ bool) error {
					FoldCustomerAccount(a, entry)
					return nil
				}); err != nil {
					return err
				}
			}
			return projections.Fold(tx, Days, entry.Day, ev, func(t *DayTotals, _ bool) error {
				FoldDayTotals(t, entry)
				return nil
			})
		}),
	}
}

package invoices

import (
	"context"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/projections"
)

// Subscriber is the invoices projection. Each event folds into its own
// invoice's document only.
func Subscriber() projections.Subscriber {
	return projections.Subscriber{
		Name:    Name,
		Filter:  projections.Filter{StreamPrefixes: []string{invoice.StreamPrefix}},
		Indexes: map[string][]string{Coll: {KeyReservation}},
		Decode:  projections.DecodeAhead,
		Handle: func(ctx context.Context, tx *projections.Tx, ev projections.Event) error {
			d, ok, err := projections.DomainEvent(ev)
			if !ok {
				return err
			}
			id, fold := Fold(d)
			if fold == nil {
				return nil
			}
			return projections.Fold(tx, Coll, id, ev, func(i *Invoice, _ bool) error {
				fold(i, ev)
				i.ID, i.Position, i.UpdatedAt = id, ev.Position.Commit, ev.Created
				return nil
			})
		},
	}
}

package invoices

import (
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
		Handle:  projections.FoldInto(Coll, Fold),
	}
}

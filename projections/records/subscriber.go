package records

import (
	"context"
	"time"

	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/projections"
)

// Subscriber is the medical records projection; loc is the clinic's zone
// (the history words times in it). Each event folds into its
// own record's document only.
func Subscriber(loc *time.Location) projections.Subscriber {
	return projections.Subscriber{
		Name:    Name,
		Filter:  projections.Filter{StreamPrefixes: []string{medicalrecord.StreamPrefix}},
		Indexes: map[string][]string{Coll: {KeyReservation}},
		Decode:  projections.DecodeAhead,
		Handle: func(ctx context.Context, tx *projections.Tx, ev projections.Event) error {
			d, ok, err := projections.DomainEvent(ev)
			if !ok {
				return err
			}
			id, fold := Fold(d, loc)
			if fold == nil {
				return nil
			}
			return projections.Fold(tx, Coll, id, ev, func(r *Record, _ bool) error {
				fold(r, ev)
				r.ID, r.Position, r.UpdatedAt = id, ev.Position.Commit, ev.Created
				return nil
			})
		},
	}
}

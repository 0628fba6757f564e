package availability

import (
	"context"

	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
)

// Subscriber is the doctors' availability projection.
func Subscriber() projections.Subscriber {
	return projections.Subscriber{
		Name:    Name,
		Filter:  projections.Filter{StreamPrefixes: []string{schedule.StreamPrefix}},
		Indexes: map[string][]string{Coll: {KeyDay}},
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
			return projections.Fold(tx, Coll, id, ev, func(a *Day, _ bool) error {
				fold(a)
				a.Position = ev.Position.Commit
				return nil
			})
		},
	}
}

package visits

import (
	"context"
	"time"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
)

// Subscriber is the visits projection; loc is the clinic's zone (for the
// day a slot falls on). Each event folds into its own visit's document only.
func Subscriber(loc *time.Location) projections.Subscriber {
	return projections.Subscriber{
		Name:    Name,
		Filter:  projections.Filter{StreamPrefixes: []string{reservation.StreamPrefix, medicalrecord.StreamPrefix, invoice.StreamPrefix}},
		Indexes: map[string][]string{Coll: {KeyDay, KeyPhone, KeyName, KeyPet}},
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
			return projections.Fold(tx, Coll, id, ev, func(v *Visit, _ bool) error {
				fold(v, ev)
				v.ID, v.Position, v.UpdatedAt = id, ev.Position.Commit, ev.Created
				return nil
			})
		},
	}
}

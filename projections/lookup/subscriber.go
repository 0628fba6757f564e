package lookup

import (
	"context"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// Subscriber is the lookup projection; loc is the clinic's zone (for the
// day a slot falls on).
func Subscriber(loc *time.Location) projections.Subscriber {
	return projections.Subscriber{
		Name:    Name,
		Filter:  projections.ClinicFilter(),
		Indexes: map[string][]string{Coll: {KeyPhone, KeyDoctorDay}},
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
			return projections.Fold(tx, Coll, id, ev, func(r *Reservation, _ bool) error {
				fold(r)
				r.ID, r.Position, r.UpdatedAt = id, ev.Position.Commit, ev.Created
				return nil
			})
		},
	}
}

package lookup

import (
	"time"

	"github.com/vetclinic/clinic/domain"
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
		Handle: projections.FoldInto(Coll, func(e domain.Event) (string, func(*Reservation, projections.Event)) {
			return Fold(e, loc)
		}),
	}
}

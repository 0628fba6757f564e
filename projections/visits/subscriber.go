package visits

import (
	"time"

	"github.com/vetclinic/clinic/domain"
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
		Handle: projections.FoldInto(Coll, func(e domain.Event) (string, func(*Visit, projections.Event)) {
			return Fold(e, loc)
		}),
	}
}

package records

import (
	"time"

	"github.com/vetclinic/clinic/domain"
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
		Handle: projections.FoldInto(Coll, func(e domain.Event) (string, func(*Record, projections.Event)) {
			return Fold(e, loc)
		}),
	}
}

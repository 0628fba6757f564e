package availability

import (
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
		Handle:  projections.FoldInto(Coll, Fold),
	}
}

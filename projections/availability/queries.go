package availability

import (
	"context"

	"github.com/vetclinic/clinic/projections"
)

// The reads the availability queries make, on copy ns. Which copy is live
// is the queries package's.

// Get returns doctorID's day (the clinic's date); ok is false when the day
// was never opened.
func Get(ctx context.Context, docs projections.DocumentReader, ns, doctorID, day string) (Day, bool, error) {
	return projections.Get[Day](ctx, docs, ns, Coll, ID(doctorID, day))
}

// OnDay returns every doctor's day on day.
func OnDay(ctx context.Context, docs projections.DocumentReader, ns, day string) ([]Day, error) {
	return projections.FindAll[Day](ctx, docs, ns, Coll, KeyDay, day, 0)
}

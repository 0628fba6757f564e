package visits

import (
	"context"

	"github.com/vetclinic/clinic/projections"
)

// The reads the visits queries make, on copy ns. Who may ask, which copy
// is live, filtering and order are the queries package's.

// Get returns visit id; ok is false when there is none.
func Get(ctx context.Context, docs projections.DocumentReader, ns, id string) (Visit, bool, error) {
	return projections.Get[Visit](ctx, docs, ns, Coll, id)
}

// By returns at most limit visits whose index key is value (0: all).
func By(ctx context.Context, docs projections.DocumentReader, ns, key, value string, limit int) ([]Visit, error) {
	return projections.FindAll[Visit](ctx, docs, ns, Coll, key, value, limit)
}

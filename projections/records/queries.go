package records

import (
	"context"

	"github.com/vetclinic/clinic/projections"
)

// The reads the records queries make, on copy ns. Who may ask and which
// copy is live are the queries package's.

// Get returns record id; ok is false when there is none.
func Get(ctx context.Context, docs projections.DocumentReader, ns, id string) (Record, bool, error) {
	return projections.Get[Record](ctx, docs, ns, Coll, id)
}

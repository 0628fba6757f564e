package invoices

import (
	"context"

	"github.com/vetclinic/clinic/projections"
)

// The reads the invoices queries make, on copy ns. Who may ask and which
// copy is live are the queries package's.

// Get returns invoice id; ok is false when there is none.
func Get(ctx context.Context, docs projections.DocumentReader, ns, id string) (Invoice, bool, error) {
	return projections.Get[Invoice](ctx, docs, ns, Coll, id)
}

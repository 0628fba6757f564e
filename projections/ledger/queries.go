package ledger

import (
	"cmp"
	"context"
	"slices"

	"github.com/vetclinic/clinic/projections"
)

// The reads the ledger's queries make, on copy ns. Who may ask and which
// copy is live are the queries package's.

// Invoice returns invoiceID's account; ok is false when there is none.
func Invoice(ctx context.Context, docs projections.DocumentReader, ns, invoiceID string) (InvoiceAccount, bool, error) {
	return projections.Get[InvoiceAccount](ctx, docs, ns, Invoices, invoiceID)
}

// Customer returns the account of the customer with the normalised phone
// number key; ok is false when there is none.
func Customer(ctx context.Context, docs projections.DocumentReader, ns, key string) (CustomerAccount, bool, error) {
	return projections.Get[CustomerAccount](ctx, docs, ns, Customers, key)
}

// DayOf returns day's totals (empty ones for a day without entries) and its
// entries in the order they happened, both from copy ns.
func DayOf(ctx context.Context, docs projections.DocumentReader, ns, day string) (DayTotals, []Entry, error) {
	t, ok, err := projections.Get[DayTotals](ctx, docs, ns, Days, day)
	if err != nil {
		return DayTotals{}, nil, err
	}
	if !ok {
		t = DayTotals{Day: day, Totals: map[string]*KindTotals{}}
	}
	es, err := projections.FindAll[Entry](ctx, docs, ns, Entries, KeyDay, day, 0)
	if err != nil {
		return DayTotals{}, nil, err
	}
	slices.SortStableFunc(es, func(a, b Entry) int { return cmp.Compare(a.Position, b.Position) })
	return t, es, nil
}

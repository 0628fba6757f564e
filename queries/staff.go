package queries

import (
	"cmp"
	"context"
	"slices"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections/availability"
	"github.com/vetclinic/clinic/projections/ledger"
)

// Invoice returns an invoice's ledger account, or ErrNotFound.
func (s *Service) Invoice(ctx context.Context, invoiceID string, minPosition uint64) (ledger.InvoiceAccount, uint64, error) {
	ns, pos, err := s.view(ctx, ledger.Name, minPosition)
	if err != nil {
		return ledger.InvoiceAccount{}, pos, err
	}
	a, err := found(ledger.Invoice(ctx, s.store, ns, invoiceID))
	return a, pos, err
}

// Customer returns the ledger account of the customer with phone number
// number, or ErrNotFound.
func (s *Service) Customer(ctx context.Context, number string, minPosition uint64) (ledger.CustomerAccount, uint64, error) {
	key := phone.Normalize(number)
	if key == "" {
		return ledger.CustomerAccount{}, 0, ErrNotFound
	}
	ns, pos, err := s.view(ctx, ledger.Name, minPosition)
	if err != nil {
		return ledger.CustomerAccount{}, pos, err
	}
	a, err := found(ledger.Customer(ctx, s.store, ns, key))
	return a, pos, err
}

// LedgerDay is a day's takings and its entries in the order they happened.
type LedgerDay struct {
	Totals  ledger.DayTotals
	Entries []ledger.Entry
}

// Day returns a day's ledger (empty totals for a day without entries). The
// totals and the entries are read from the same copy of the ledger.
func (s *Service) Day(ctx context.Context, day string, minPosition uint64) (LedgerDay, uint64, error) {
	ns, pos, err := s.view(ctx, ledger.Name, minPosition)
	if err != nil {
		return LedgerDay{}, pos, err
	}
	t, es, err := ledger.DayOf(ctx, s.store, ns, day)
	if err != nil {
		return LedgerDay{}, pos, err
	}
	return LedgerDay{Totals: t, Entries: es}, pos, nil
}

// DoctorDay returns a doctor's availability on a day as of now (a slot that
// has begun is not free), or ErrNotFound when the day was never opened.
func (s *Service) DoctorDay(ctx context.Context, doctorID, day string, minPosition uint64) (availability.Day, uint64, error) {
	ns, pos, err := s.view(ctx, availability.Name, minPosition)
	if err != nil {
		return availability.Day{}, pos, err
	}
	d, err := found(availability.Get(ctx, s.store, ns, doctorID, day))
	return d.AsOf(s.now()), pos, err
}

// Availability returns every doctor's availability on a day as of now, by
// doctor.
func (s *Service) Availability(ctx context.Context, day string, minPosition uint64) ([]availability.Day, uint64, error) {
	ns, pos, err := s.view(ctx, availability.Name, minPosition)
	if err != nil {
		return nil, pos, err
	}
	out, err := availability.OnDay(ctx, s.store, ns, day)
	slices.SortFunc(out, func(a, b availability.Day) int { return cmp.Compare(a.DoctorID, b.DoctorID) })
	for i := range out {
		out[i] = out[i].AsOf(s.now())
	}
	return out, pos, err
}

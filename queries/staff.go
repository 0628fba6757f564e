package queries

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections"
)

// Invoice returns an invoice's ledger account, or ErrNotFound.
func (s *Service) Invoice(ctx context.Context, invoiceID string, minPosition uint64) (projections.InvoiceAccount, uint64, error) {
	return getOne[projections.InvoiceAccount](ctx, s, projections.LedgerName, projections.LedgerInvoices, invoiceID, minPosition)
}

// Customer returns the ledger account of the customer with phone number
// number, or ErrNotFound.
func (s *Service) Customer(ctx context.Context, number string, minPosition uint64) (projections.CustomerAccount, uint64, error) {
	key := phone.Normalize(number)
	if key == "" {
		return projections.CustomerAccount{}, 0, ErrNotFound
	}
	return getOne[projections.CustomerAccount](ctx, s, projections.LedgerName, projections.LedgerCustomers, key, minPosition)
}

// LedgerDay is a day's takings and its entries in the order they happened.
type LedgerDay struct {
	Totals  projections.DayTotals
	Entries []projections.LedgerEntry
}

// Day returns a day's ledger (empty totals for a day without entries). The
// totals and the entries are read from the same copy of the ledger.
func (s *Service) Day(ctx context.Context, day string, minPosition uint64) (LedgerDay, uint64, error) {
	ns, pos, err := s.view(ctx, projections.LedgerName, minPosition)
	if err != nil {
		return LedgerDay{}, pos, err
	}
	t, err := getIn[projections.DayTotals](ctx, s, ns, projections.LedgerDays, day)
	if errors.Is(err, ErrNotFound) {
		t, err = projections.DayTotals{Day: day, Totals: map[string]*projections.KindTotals{}}, nil
	}
	if err != nil {
		return LedgerDay{}, pos, err
	}
	docs, err := s.store.Find(ctx, ns, projections.LedgerEntries, projections.KeyDay, day, 0)
	if err != nil {
		return LedgerDay{}, pos, err
	}
	es, err := decodeAll[projections.LedgerEntry](docs)
	if err != nil {
		return LedgerDay{}, pos, err
	}
	slices.SortStableFunc(es, func(a, b projections.LedgerEntry) int { return cmp.Compare(a.Position, b.Position) })
	return LedgerDay{Totals: t, Entries: es}, pos, nil
}

// DoctorDay returns a doctor's availability on a day, or ErrNotFound when
// the day was never opened.
func (s *Service) DoctorDay(ctx context.Context, doctorID, day string, minPosition uint64) (projections.DoctorDayAvailability, uint64, error) {
	return getOne[projections.DoctorDayAvailability](ctx, s, projections.AvailabilityName, projections.AvailabilityColl,
		projections.DoctorDay(doctorID, day), minPosition)
}

// Availability returns every doctor's availability on a day, by doctor.
func (s *Service) Availability(ctx context.Context, day string, minPosition uint64) ([]projections.DoctorDayAvailability, uint64, error) {
	ns, pos, err := s.view(ctx, projections.AvailabilityName, minPosition)
	if err != nil {
		return nil, pos, err
	}
	docs, err := s.store.Find(ctx, ns, projections.AvailabilityColl, projections.KeyDay, day, 0)
	if err != nil {
		return nil, pos, err
	}
	out, err := decodeAll[projections.DoctorDayAvailability](docs)
	return out, pos, err
}

func getOne[T any](ctx context.Context, s *Service, name, coll, id string, minPosition uint64) (T, uint64, error) {
	ns, pos, err := s.view(ctx, name, minPosition)
	if err != nil {
		var zero T
		return zero, pos, err
	}
	v, err := getIn[T](ctx, s, ns, coll, id)
	return v, pos, err
}

// getIn reads document id of namespace ns, or returns ErrNotFound.
func getIn[T any](ctx context.Context, s *Service, ns, coll, id string) (T, error) {
	var zero T
	d, ok, err := s.store.Get(ctx, ns, coll, id)
	if err != nil {
		return zero, err
	}
	if !ok {
		return zero, ErrNotFound
	}
	return decode[T](d)
}

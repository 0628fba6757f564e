package queries

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// The staff's reads of one visit, record or invoice, the day sheet and the
// search. Staff only: the caller checks the role.

// ErrSearchTooWide: a search names neither a phone, a name nor a pet, and
// its date range is missing or longer than MaxSearchDays.
var ErrSearchTooWide = errors.New("queries: a search needs a phone, a name, a pet, or a date range of at most 92 days")

// MaxSearchDays bounds a search by dates alone (one read per day).
const MaxSearchDays = 92

// Visit returns reservation id as staff see it, or ErrNotFound.
func (s *Service) Visit(ctx context.Context, id string, minPosition uint64) (visits.Visit, uint64, error) {
	ns, pos, err := s.view(ctx, visits.Name, minPosition)
	if err != nil {
		return visits.Visit{}, pos, err
	}
	v, err := found(visits.Get(ctx, s.store, ns, id))
	if err == nil && v.Status == "" {
		err = ErrNotFound // only its record or bill is known yet
	}
	return v, pos, err
}

// Record returns medical record id with its history, or ErrNotFound.
func (s *Service) Record(ctx context.Context, id string, minPosition uint64) (records.Record, uint64, error) {
	ns, pos, err := s.view(ctx, records.Name, minPosition)
	if err != nil {
		return records.Record{}, pos, err
	}
	r, err := found(records.Get(ctx, s.store, ns, id))
	return r, pos, err
}

// InvoiceDetail returns invoice id with its lines, payments, refunds and
// discounts, or ErrNotFound.
func (s *Service) InvoiceDetail(ctx context.Context, id string, minPosition uint64) (invoices.Invoice, uint64, error) {
	ns, pos, err := s.view(ctx, invoices.Name, minPosition)
	if err != nil {
		return invoices.Invoice{}, pos, err
	}
	i, err := found(invoices.Get(ctx, s.store, ns, id))
	return i, pos, err
}

// DaySheet lists every visit of a day (the clinic's date) across doctors,
// by slot, then doctor, then id.
func (s *Service) DaySheet(ctx context.Context, day string, minPosition uint64) ([]visits.Visit, uint64, error) {
	ns, pos, err := s.view(ctx, visits.Name, minPosition)
	if err != nil {
		return nil, pos, err
	}
	vs, err := visits.By(ctx, s.store, ns, visits.KeyDay, day, 0)
	if err != nil {
		return nil, pos, err
	}
	vs = slices.DeleteFunc(vs, func(v visits.Visit) bool { return v.Status == "" })
	slices.SortFunc(vs, func(a, b visits.Visit) int {
		return cmp.Or(a.Slot.Compare(b.Slot), cmp.Compare(a.DoctorID, b.DoctorID), cmp.Compare(a.ID, b.ID))
	})
	return vs, pos, nil
}

// Search selects visits: by the customer's phone, the customer's name or
// the pet's name (whole names, ignoring case and spacing), between two
// dates of the clinic (inclusive), in a status. Empty fields do not select.
type Search struct {
	Phone, Name, Pet string
	From, To         string // YYYY-MM-DD
	Status           string
}

// SearchVisits returns the visits s selects, latest slot first (then by id,
// descending). Errors: ErrSearchTooWide.
func (s *Service) SearchVisits(ctx context.Context, q Search, minPosition uint64) ([]visits.Visit, uint64, error) {
	key, value := "", ""
	switch {
	case phone.Normalize(q.Phone) != "":
		key, value = visits.KeyPhone, phone.Normalize(q.Phone)
	case visits.NormalizeName(q.Pet) != "":
		key, value = visits.KeyPet, visits.NormalizeName(q.Pet)
	case visits.NormalizeName(q.Name) != "":
		key, value = visits.KeyName, visits.NormalizeName(q.Name)
	}
	days, err := searchDays(q, key == "")
	if err != nil {
		return nil, 0, err
	}
	ns, pos, err := s.view(ctx, visits.Name, minPosition)
	if err != nil {
		return nil, pos, err
	}
	var vs []visits.Visit
	if key != "" {
		vs, err = visits.By(ctx, s.store, ns, key, value, maxList)
	} else {
		for _, d := range days {
			dv, derr := visits.By(ctx, s.store, ns, visits.KeyDay, d, 0)
			vs, err = append(vs, dv...), derr
			if err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, pos, err
	}
	vs = slices.DeleteFunc(vs, func(v visits.Visit) bool { return v.Status == "" || !q.matches(v) })
	slices.SortFunc(vs, func(a, b visits.Visit) int { return cmp.Or(b.Slot.Compare(a.Slot), cmp.Compare(b.ID, a.ID)) })
	return vs, pos, nil
}

func (q Search) matches(v visits.Visit) bool {
	return (q.Phone == "" || phone.Normalize(q.Phone) == phone.Normalize(v.CustomerPhone)) &&
		(q.Name == "" || visits.NormalizeName(q.Name) == visits.NormalizeName(v.CustomerName)) &&
		(q.Pet == "" || visits.NormalizeName(q.Pet) == visits.NormalizeName(v.PetName)) &&
		(q.From == "" || v.Day >= q.From) && (q.To == "" || v.Day <= q.To) &&
		(q.Status == "" || q.Status == v.Status)
}

// searchDays lists the days of a search by dates alone (need), each of
// which is one read. Errors: ErrSearchTooWide.
func searchDays(q Search, need bool) ([]string, error) {
	if !need {
		return nil, nil
	}
	from, err1 := time.Parse(time.DateOnly, q.From)
	to, err2 := time.Parse(time.DateOnly, q.To)
	if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) >= MaxSearchDays*24*time.Hour {
		return nil, ErrSearchTooWide
	}
	var days []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	return days, nil
}

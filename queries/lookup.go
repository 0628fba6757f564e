package queries

import (
	"cmp"
	"context"
	"slices"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections/lookup"
)

// maxList bounds one listing read from the store; the API pages within it.
const maxList = 5000

// canSee reports whether v may read r.
func (v Viewer) canSee(r lookup.Reservation) bool {
	return v.canSeePhone(phone.Normalize(r.Customer.Phone))
}

// canSeePhone reports whether v may read a reservation booked with the
// normalised phone number key.
func (v Viewer) canSeePhone(key string) bool {
	if v.Staff {
		return true
	}
	if key == "" {
		return false
	}
	return phone.Normalize(v.Phone) == key || phone.Normalize(v.ClaimedPhone) == key
}

// Reservation returns reservation id as v may see it, and the position the
// view is built up to. It returns ErrNotFound when there is no such
// reservation or v may not see it, and ErrBehind when the view did not
// reach minPosition in time.
func (s *Service) Reservation(ctx context.Context, v Viewer, id string, minPosition uint64) (lookup.Reservation, uint64, error) {
	ns, pos, err := s.view(ctx, lookup.Name, minPosition)
	if err != nil {
		return lookup.Reservation{}, pos, err
	}
	r, err := found(lookup.Get(ctx, s.store, ns, id))
	if err != nil {
		return lookup.Reservation{}, pos, err
	}
	if !v.canSee(r) {
		return lookup.Reservation{}, pos, ErrNotFound
	}
	return r, pos, nil
}

// ReservationJSON is Reservation as the stored JSON document, for callers
// that pass it on as it is: the visibility check uses the document's index
// keys, so nothing is decoded. Errors as Reservation.
func (s *Service) ReservationJSON(ctx context.Context, v Viewer, id string, minPosition uint64) ([]byte, uint64, error) {
	ns, pos, err := s.view(ctx, lookup.Name, minPosition)
	if err != nil {
		return nil, pos, err
	}
	body, key, ok, err := lookup.GetJSON(ctx, s.store, ns, id)
	if err != nil {
		return nil, pos, err
	}
	if !ok || !v.canSeePhone(key) {
		return nil, pos, ErrNotFound
	}
	return body, pos, nil
}

// Reservations lists the reservations booked with phone number number, latest slot
// first (then by id, descending, so the order is total and the API can page it). Customers may list only their own number (any other gives an
// empty list); staff may list anyone's.
func (s *Service) Reservations(ctx context.Context, v Viewer, number string, minPosition uint64) ([]lookup.Reservation, uint64, error) {
	ns, pos, err := s.view(ctx, lookup.Name, minPosition)
	if err != nil {
		return nil, pos, err
	}
	key := phone.Normalize(number)
	if key == "" || (!v.Staff && key != phone.Normalize(v.Phone)) {
		return []lookup.Reservation{}, pos, nil
	}
	rs, err := lookup.ByPhone(ctx, s.store, ns, key, maxList)
	if err != nil {
		return nil, pos, err
	}
	rs = slices.DeleteFunc(rs, func(r lookup.Reservation) bool { return !v.canSee(r) })
	slices.SortFunc(rs, func(a, b lookup.Reservation) int { return cmp.Or(b.Slot.Compare(a.Slot), cmp.Compare(b.ID, a.ID)) })
	return rs, pos, nil
}

// DaySchedule lists a doctor's reservations on a day (the clinic's date),
// by slot, then id. Staff only: the caller checks the role.
func (s *Service) DaySchedule(ctx context.Context, doctorID, day string, minPosition uint64) ([]lookup.Reservation, uint64, error) {
	ns, pos, err := s.view(ctx, lookup.Name, minPosition)
	if err != nil {
		return nil, pos, err
	}
	rs, err := lookup.OfDoctorDay(ctx, s.store, ns, doctorID, day, maxList)
	if err != nil {
		return nil, pos, err
	}
	slices.SortFunc(rs, func(a, b lookup.Reservation) int { return cmp.Or(a.Slot.Compare(b.Slot), cmp.Compare(a.ID, b.ID)) })
	return rs, pos, nil
}

// found turns a read's ok into ErrNotFound.
func found[T any](v T, ok bool, err error) (T, error) {
	if err == nil && !ok {
		err = ErrNotFound
	}
	return v, err
}

package queries

import (
	"context"
	"slices"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections"
)

// maxList bounds one listing.
const maxList = 500

// canSee reports whether v may read r.
func (v Viewer) canSee(r projections.Reservation) bool {
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
func (s *Service) Reservation(ctx context.Context, v Viewer, id string, minPosition uint64) (projections.Reservation, uint64, error) {
	ns, pos, err := s.view(ctx, projections.LookupName, minPosition)
	if err != nil {
		return projections.Reservation{}, pos, err
	}
	r, err := getIn[projections.Reservation](ctx, s, ns, projections.LookupColl, id)
	if err != nil {
		return projections.Reservation{}, pos, err
	}
	if !v.canSee(r) {
		return projections.Reservation{}, pos, ErrNotFound
	}
	return r, pos, nil
}

// ReservationJSON is Reservation as the stored JSON document, for callers
// that pass it on as it is: the visibility check uses the document's index
// keys, so nothing is decoded. Errors as Reservation.
func (s *Service) ReservationJSON(ctx context.Context, v Viewer, id string, minPosition uint64) ([]byte, uint64, error) {
	ns, pos, err := s.view(ctx, projections.LookupName, minPosition)
	if err != nil {
		return nil, pos, err
	}
	d, ok, err := s.store.Get(ctx, ns, projections.LookupColl, id)
	if err != nil {
		return nil, pos, err
	}
	if !ok || !v.canSeePhone(d.Keys[projections.KeyPhone]) {
		return nil, pos, ErrNotFound
	}
	return d.Body, pos, nil
}

// Reservations lists the reservations booked with phone number number, latest slot
// first. Customers may list only their own number (any other gives an
// empty list); staff may list anyone's.
func (s *Service) Reservations(ctx context.Context, v Viewer, number string, minPosition uint64) ([]projections.Reservation, uint64, error) {
	ns, pos, err := s.view(ctx, projections.LookupName, minPosition)
	if err != nil {
		return nil, pos, err
	}
	key := phone.Normalize(number)
	if key == "" || (!v.Staff && key != phone.Normalize(v.Phone)) {
		return []projections.Reservation{}, pos, nil
	}
	docs, err := s.store.Find(ctx, ns, projections.LookupColl, projections.KeyPhone, key, maxList)
	if err != nil {
		return nil, pos, err
	}
	rs, err := decodeAll[projections.Reservation](docs)
	if err != nil {
		return nil, pos, err
	}
	rs = slices.DeleteFunc(rs, func(r projections.Reservation) bool { return !v.canSee(r) })
	slices.SortStableFunc(rs, func(a, b projections.Reservation) int { return b.Slot.Compare(a.Slot) })
	return rs, pos, nil
}

// DaySchedule lists a doctor's reservations on a day (the clinic's date),
// by slot. Staff only: the caller checks the role.
func (s *Service) DaySchedule(ctx context.Context, doctorID, day string, minPosition uint64) ([]projections.Reservation, uint64, error) {
	ns, pos, err := s.view(ctx, projections.LookupName, minPosition)
	if err != nil {
		return nil, pos, err
	}
	docs, err := s.store.Find(ctx, ns, projections.LookupColl, projections.KeyDoctorDay, projections.DoctorDay(doctorID, day), maxList)
	if err != nil {
		return nil, pos, err
	}
	rs, err := decodeAll[projections.Reservation](docs)
	if err != nil {
		return nil, pos, err
	}
	slices.SortStableFunc(rs, func(a, b projections.Reservation) int { return a.Slot.Compare(b.Slot) })
	return rs, pos, nil
}

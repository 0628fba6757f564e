package reservation

import (
	"fmt"
	"time"

	"github.com/vetclinic/clinic/domain"
)

// Place books the visit p. The slot must already be booked in the doctor's
// schedule; that is the command handler's first step. Errors: a
// *domain.ValidationError, ErrAlreadyPlaced.
func (r *Reservation) Place(p Place, at time.Time, by string) ([]domain.Event, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if r.Placed() {
		return nil, ErrAlreadyPlaced
	}
	return []domain.Event{Placed{
		Visit: Visit{
			ReservationID: r.id, MedicalRecordID: MedicalRecordID(r.id),
			Customer: p.Customer, Pet: p.Pet, DoctorID: p.DoctorID, Slot: p.Slot.UTC(),
			Status: StatusBooked, At: at.UTC(), By: by,
		},
		Reason: p.Reason,
	}}, nil
}

// next is the visit after an event at at by by, with status s.
func (r *Reservation) next(s Status, at time.Time, by string) Visit {
	v := r.visit
	v.Status, v.At, v.By = s, at.UTC(), by
	return v
}

// stateErr is why a booked-only command cannot run now.
func (r *Reservation) stateErr() error {
	switch r.visit.Status {
	case "":
		return ErrNotFound
	case StatusCancelled:
		return ErrCancelled
	case StatusCompleted:
		return ErrCompleted
	case StatusCheckedIn:
		return ErrCheckedIn
	case StatusNoShow:
		return ErrNoShow
	}
	return nil
}

// Reschedule moves a booked visit to doctorID at slot (the new slot must be
// booked first). Moving it to where it is changes nothing. Errors:
// ErrNotFound, ErrCancelled, ErrCompleted, ErrCheckedIn, ErrNoShow, a
// *domain.ValidationError.
func (r *Reservation) Reschedule(doctorID string, slot time.Time, at time.Time, by string) ([]domain.Event, error) {
	if !r.Placed() {
		return nil, ErrNotFound // before the fields: there is nothing to move
	}
	v := domain.Validation()
	checkDoctorID(v, doctorID)
	v.Check(!slot.IsZero(), "slot", "required (RFC 3339)")
	if err := v.Err(); err != nil {
		return nil, err
	}
	if r.visit.Status != StatusBooked {
		return nil, r.stateErr()
	}
	if doctorID == r.visit.DoctorID && slot.Equal(r.visit.Slot) {
		return nil, nil
	}
	next := r.next(StatusBooked, at, by)
	next.DoctorID, next.Slot = doctorID, slot.UTC()
	return []domain.Event{Rescheduled{Visit: next, OldDoctorID: r.visit.DoctorID, OldSlot: r.visit.Slot}}, nil
}

// Cancel cancels a booked visit. Errors: ErrNotFound, ErrCancelled,
// ErrCompleted, ErrCheckedIn (a visit that began is completed, not
// cancelled), ErrNoShow, a *domain.ValidationError for a reason over
// domain.MaxReasonBytes.
func (r *Reservation) Cancel(reason string, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	v.CheckReason(reason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if r.visit.Status != StatusBooked {
		return nil, r.stateErr()
	}
	return []domain.Event{Cancelled{Visit: r.next(StatusCancelled, at, by), Reason: reason}}, nil
}

// CheckIn records that the animal arrived, at most window before the slot
// (a visit years ahead cannot be checked in, and so never billed today).
// Errors: ErrNotFound, ErrCancelled, ErrCompleted, ErrCheckedIn, ErrNoShow,
// ErrTooEarly.
func (r *Reservation) CheckIn(at time.Time, window time.Duration, by string) ([]domain.Event, error) {
	if r.visit.Status != StatusBooked {
		return nil, r.stateErr()
	}
	if opens := r.visit.Slot.Add(-window); at.Before(opens) {
		return nil, fmt.Errorf("check-in opens at %s: %w", opens.UTC().Format(time.RFC3339), ErrTooEarly)
	}
	return []domain.Event{CheckedIn{Visit: r.next(StatusCheckedIn, at, by)}}, nil
}

// Complete records that the visit is over. Errors: ErrNotFound,
// ErrNotCheckedIn (still booked), ErrCancelled, ErrCompleted, ErrNoShow.
func (r *Reservation) Complete(at time.Time, by string) ([]domain.Event, error) {
	switch r.visit.Status {
	case StatusCheckedIn:
		return []domain.Event{Completed{Visit: r.next(StatusCompleted, at, by)}}, nil
	case StatusBooked:
		return nil, ErrNotCheckedIn
	}
	return nil, r.stateErr()
}

// MarkNoShow records that nobody came, once the slot has begun. Errors:
// ErrNotFound, ErrCancelled, ErrCompleted, ErrCheckedIn, ErrNoShow,
// ErrNotBegun.
func (r *Reservation) MarkNoShow(at time.Time, by string) ([]domain.Event, error) {
	if r.visit.Status != StatusBooked {
		return nil, r.stateErr()
	}
	if at.Before(r.visit.Slot) {
		return nil, fmt.Errorf("slot %s: %w", r.visit.Slot.UTC().Format(time.RFC3339), ErrNotBegun)
	}
	return []domain.Event{NoShow{Visit: r.next(StatusNoShow, at, by)}}, nil
}

// Started reports whether the animal was checked in (the visit is under
// way or over), the condition for finalising its medical record.
func (r *Reservation) Started() bool {
	return r.visit.Status == StatusCheckedIn || r.visit.Status == StatusCompleted
}

// CorrectDetails corrects the visit's customer (name, contact phone) or
// pet, in any status: a correction is a new event, the visit's history
// stays. The same details again change nothing. Errors: ErrNotFound, a
// *domain.ValidationError.
func (r *Reservation) CorrectDetails(c Customer, p Pet, reason string, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	checkParty(v, c, p)
	v.CheckReason(reason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !r.Placed() {
		return nil, ErrNotFound
	}
	if r.visit.Customer == c && r.visit.Pet == p {
		return nil, nil
	}
	next := r.next(r.visit.Status, at, by)
	next.Customer, next.Pet = c, p
	return []domain.Event{DetailsCorrected{Visit: next, OldCustomer: r.visit.Customer, OldPet: r.visit.Pet, Reason: reason}}, nil
}

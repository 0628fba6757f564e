// Package reservation is a booked visit of an animal to a doctor, from
// placement to check-in and completion, or to cancellation or no-show.
package reservation

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/phone"
)

// Status is where a visit stands. The strings are stored.
type Status string

// Statuses of a visit.
const (
	StatusBooked    Status = "booked"
	StatusCheckedIn Status = "checked_in"
	StatusCompleted Status = "completed"
	StatusCancelled Status = "cancelled"
	StatusNoShow    Status = "no_show"
)

// Errors returned by the commands.
var (
	ErrNotFound      = domain.NotFound("reservation.not_found", "no such reservation")
	ErrAlreadyPlaced = domain.Conflict("reservation.already_placed", "the reservation exists already")
	ErrCancelled     = domain.Conflict("reservation.cancelled", "the reservation is cancelled")
	ErrCompleted     = domain.Conflict("reservation.completed", "the visit is completed")
	ErrCheckedIn     = domain.Conflict("reservation.checked_in", "the animal is checked in already")
	ErrNoShow        = domain.Conflict("reservation.no_show", "the visit was a no-show")
	ErrNotCheckedIn  = domain.Conflict("reservation.not_checked_in", "the animal has not been checked in")
	ErrTooEarly      = domain.Conflict("reservation.check_in_too_early", "the visit's check-in window has not opened yet")
	ErrNotBegun      = domain.Conflict("reservation.not_begun", "the visit's slot has not begun: a no-show is marked after it")
)

// DefaultCheckInWindow is how long before its slot a visit can be checked
// in, unless the clinic says otherwise.
const DefaultCheckInWindow = 12 * time.Hour

// Errors lists the errors of this package's commands, as Types lists its
// events, so that an adapter can map every one of them (the HTTP API's
// problem types are derived from these lists).
func Errors() []*domain.Error {
	return []*domain.Error{
		ErrNotFound, ErrAlreadyPlaced, ErrCancelled, ErrCompleted,
		ErrCheckedIn, ErrNoShow, ErrNotCheckedIn, ErrTooEarly, ErrNotBegun,
	}
}

// Reservation is one visit, folded from its events.
type Reservation struct {
	id      uuid.UUID
	version int
	visit   Visit // as after the last event; zero before placement
	reason  string
}

// New returns the reservation id before any event.
func New(id uuid.UUID) *Reservation { return &Reservation{id: id} }

// ID returns the reservation's ID.
func (r *Reservation) ID() uuid.UUID { return r.id }

// Version is the number of events folded in.
func (r *Reservation) Version() int { return r.version }

// Placed reports whether the reservation exists.
func (r *Reservation) Placed() bool { return r.visit.Status != "" }

// Status returns the visit's status ("" before placement).
func (r *Reservation) Status() Status { return r.visit.Status }

// Visit returns the visit as of the last event.
func (r *Reservation) Visit() Visit { return r.visit }

// Reason returns why the visit was booked.
func (r *Reservation) Reason() string { return r.reason }

// Apply folds recorded events into r. Unknown events are ignored.
func (r *Reservation) Apply(events ...domain.Event) {
	for _, e := range events {
		switch e := e.(type) {
		case Placed:
			r.visit, r.reason = e.Visit, e.Reason
		case Rescheduled:
			r.visit = e.Visit
		case Cancelled:
			r.visit = e.Visit
		case CheckedIn:
			r.visit = e.Visit
		case Completed:
			r.visit = e.Visit
		case NoShow:
			r.visit = e.Visit
		case DetailsCorrected:
			r.visit = e.Visit
		}
		r.version++
	}
}

// Place is what a new reservation needs.
type Place struct {
	Customer Customer
	Pet      Pet
	DoctorID string
	Slot     time.Time
	Reason   string
}

// Validate returns a *domain.ValidationError naming each bad field.
func (p Place) Validate() error {
	v := domain.Validation()
	checkParty(v, p.Customer, p.Pet)
	checkDoctorID(v, p.DoctorID)
	v.Check(!p.Slot.IsZero(), "slot", "required (RFC 3339)")
	v.CheckReason(p.Reason)
	return v.Err()
}

// checkParty validates who brings the animal and the animal.
func checkParty(v *domain.ValidationError, c Customer, p Pet) {
	checkText(v, "customer.name", c.Name, 100)
	v.Check(phone.Valid(c.Phone), "customer.phone",
		fmt.Sprintf("must be a phone number (%d to %d digits)", phone.MinDigits, phone.MaxDigits))
	checkText(v, "pet.name", p.Name, 100)
	checkText(v, "pet.species", p.Species, 50)
}

// checkDoctorID says whether a doctor id is missing or malformed.
func checkDoctorID(v *domain.ValidationError, id string) {
	switch {
	case id == "":
		v.Add("doctorId", "required")
	case !clinic.ValidDoctorID(id):
		v.Add("doctorId", fmt.Sprintf("invalid: 1 to %d letters, digits, '-' or '_'", clinic.MaxDoctorIDBytes))
	}
}

func checkText(v *domain.ValidationError, field, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		v.Add(field, "required")
	case len(s) > max:
		v.Add(field, fmt.Sprintf("at most %d bytes", max))
	}
}

// Package schedule is a doctor's working day: its slots, the places per
// slot and who holds them. It is the consistency boundary that makes "no
// examination possible, no reservation" true: a reservation can only take a
// free place in a slot of a day the doctor works, and two bookings of the
// last place cannot both be appended (the second fails its expected
// revision, is re-decided and gets ErrSlotTaken).
package schedule

import (
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
)

// Errors returned by the commands.
var (
	ErrDayNotOpen     = domain.Conflict("schedule.day_not_open", "the doctor does not work that day")
	ErrNotWorkingDay  = domain.Conflict("schedule.not_working_day", "the doctor does not work on that weekday")
	ErrNoSuchSlot     = domain.Conflict("schedule.no_such_slot", "no such slot in the doctor's hours")
	ErrSlotTaken      = domain.Conflict("schedule.slot_taken", "the slot has no free place")
	ErrSlotPast       = domain.Conflict("schedule.slot_past", "the slot has already begun")
	ErrStrandBookings = domain.Conflict("schedule.strands_bookings", "the change would strand existing bookings")
	ErrHasBookings    = domain.Conflict("schedule.has_bookings", "the day still holds bookings")
	ErrOutsideHorizon = domain.Invalid("schedule.outside_horizon", "the day is outside the clinic's booking horizon")
)

// Errors lists the errors of this package's commands, as Types lists its
// events, so that an adapter can map every one of them (the HTTP API's
// problem types are derived from these lists).
func Errors() []*domain.Error {
	return []*domain.Error{
		ErrDayNotOpen, ErrNotWorkingDay, ErrNoSuchSlot, ErrSlotTaken,
		ErrSlotPast, ErrStrandBookings, ErrHasBookings, ErrOutsideHorizon,
	}
}

type dayState int

const (
	stateNew dayState = iota
	stateOpen
	stateClosed
)

// Schedule is one doctor's day, folded from its events.
type Schedule struct {
	doctorID string
	date     string
	version  int // number of events applied

	state     dayState
	hours     Hours
	zone      string
	extra     bool
	firstSlot time.Time
	slotLen   time.Duration
	slots     int
	// bookings lists the places taken. A day holds at most a few hundred, so
	// a slice scans faster than maps allocate.
	bookings []booking
}

type booking struct {
	slot          int64 // Unix seconds
	reservationID uuid.UUID
	at            time.Time
}

// New returns the empty day of doctorID on date (YYYY-MM-DD), before any event.
func New(doctorID, date string) *Schedule {
	return &Schedule{doctorID: doctorID, date: date}
}

// Version is the number of events folded in.
func (s *Schedule) Version() int { return s.version }

// IsOpen reports whether the doctor works that day.
func (s *Schedule) IsOpen() bool { return s.state == stateOpen }

// Hours returns the day's hours (zero unless open).
func (s *Schedule) Hours() Hours { return s.hours }

// Booked returns how many places of slot are taken.
func (s *Schedule) Booked(slot time.Time) int {
	n, unix := 0, slot.Unix()
	for _, b := range s.bookings {
		if b.slot == unix {
			n++
		}
	}
	return n
}

// find returns the index of reservationID's place in slot, or -1.
func (s *Schedule) find(unix int64, reservationID uuid.UUID) int {
	for i, b := range s.bookings {
		if b.slot == unix && b.reservationID == reservationID {
			return i
		}
	}
	return -1
}

// Holds reports whether reservationID holds a place in slot.
func (s *Schedule) Holds(slot time.Time, reservationID uuid.UUID) bool {
	return s.find(slot.Unix(), reservationID) >= 0
}

// BookedAt returns when reservationID booked slot (zero if it holds no place there).
func (s *Schedule) BookedAt(slot time.Time, reservationID uuid.UUID) time.Time {
	if i := s.find(slot.Unix(), reservationID); i >= 0 {
		return s.bookings[i].at
	}
	return time.Time{}
}

// Apply folds recorded events into s. Unknown events are ignored.
func (s *Schedule) Apply(events ...domain.Event) {
	if s.bookings == nil && len(events) > 1 {
		s.bookings = make([]booking, 0, len(events)) // at most one booking per event
	}
	for _, e := range events {
		s.apply(e)
		s.version++
	}
}

func (s *Schedule) apply(e domain.Event) {
	switch e := e.(type) {
	case DayOpened:
		s.open(e)
	case DayChanged:
		s.open(DayOpened(e))
	case DayClosed:
		s.state = stateClosed
	case SlotBooked:
		if s.find(e.Slot.Unix(), e.ReservationID) < 0 {
			s.bookings = append(s.bookings, booking{slot: e.Slot.Unix(), reservationID: e.ReservationID, at: e.At})
		}
	case SlotReleased:
		if i := s.find(e.Slot.Unix(), e.ReservationID); i >= 0 {
			s.bookings = append(s.bookings[:i], s.bookings[i+1:]...)
		}
	}
}

func (s *Schedule) open(e DayOpened) {
	s.state = stateOpen
	s.hours = Hours{Opens: e.Opens, Closes: e.Closes, SlotMinutes: e.SlotMinutes, Capacity: e.Capacity}
	s.zone, s.extra = e.TimeZone, e.Extra
	s.firstSlot = e.FirstSlot.UTC()
	s.slotLen = time.Duration(e.SlotMinutes) * time.Minute
	s.slots = e.Slots
}

// onGrid reports whether slot is one of the day's slots.
func (s *Schedule) onGrid(slot time.Time) bool {
	return onGrid(s.firstSlot, s.slotLen, s.slots, slot)
}

func onGrid(first time.Time, length time.Duration, n int, slot time.Time) bool {
	if length <= 0 || slot.Before(first) {
		return false
	}
	d := slot.Sub(first)
	return d%length == 0 && int(d/length) < n
}

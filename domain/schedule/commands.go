package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
)

// Limits of a day's shape.
const (
	MinSlotMinutes = 5
	MaxSlotMinutes = 480
	MaxCapacity    = 1000
)

// Hours is the shape of a working day, in the clinic's time zone.
type Hours struct {
	Opens       string // "09:00"
	Closes      string // "18:00"; the last slot ends at or before it
	SlotMinutes int
	Capacity    int // places per slot
}

// Default horizon: the days that can be opened around today.
const (
	DefaultDaysBack  = 365     // a year back (entering a past day's visits late)
	DefaultDaysAhead = 2 * 365 // two years ahead
)

// Opening is what Open needs besides the hours: the clinic's rules.
type Opening struct {
	// Extra opens the day although the doctor does not usually work on
	// that weekday (an extra day, said explicitly).
	Extra bool
	// DaysBack and DaysAhead bound the day around today (the date of at
	// in loc): a day outside them is ErrOutsideHorizon.
	DaysBack, DaysAhead int
}

// Open opens the day with hours h, or changes the hours of an open day.
// Times are read in loc. Opening with the hours already in force changes
// nothing (no events). A change keeps every existing booking: it is refused
// with ErrStrandBookings if a booked slot would no longer exist or would
// hold more bookings than the new capacity. Errors: a *domain.ValidationError,
// ErrOutsideHorizon, ErrNotWorkingDay when the doctor does not work on that
// weekday and o.Extra is not set.
func (s *Schedule) Open(doctor clinic.Doctor, loc *time.Location, h Hours, o Opening, at time.Time, by string) ([]domain.Event, error) {
	ev, err := s.shape(loc, h)
	if err != nil {
		return nil, err
	}
	if doctor.ID != s.doctorID {
		return nil, domain.Invalidf("doctorId", "does not match the schedule")
	}
	day, _ := time.ParseInLocation(time.DateOnly, s.date, loc)
	if err := inHorizon(day, at.In(loc), o); err != nil {
		return nil, err
	}
	if !doctor.WorksOn(day.Weekday()) && !o.Extra {
		return nil, fmt.Errorf("%s on %s (open it as an extra day): %w", doctor.ID, day.Weekday(), ErrNotWorkingDay)
	}
	ev.Extra = !doctor.WorksOn(day.Weekday())
	ev.At, ev.By = at.UTC(), by
	if s.state != stateOpen {
		return []domain.Event{ev}, nil
	}
	if s.hours == h && s.zone == ev.TimeZone && s.extra == ev.Extra {
		return nil, nil
	}
	for unix, held := range s.perSlot() {
		slot := time.Unix(unix, 0).UTC()
		if !onGrid(ev.FirstSlot, time.Duration(h.SlotMinutes)*time.Minute, ev.Slots, slot) || held > h.Capacity {
			return nil, fmt.Errorf("slot %s: %w", slot.In(loc).Format(time.RFC3339), ErrStrandBookings)
		}
	}
	return []domain.Event{DayChanged(ev)}, nil
}

// inHorizon returns ErrOutsideHorizon unless day lies within o's days
// around today (both at midnight in the clinic's zone).
func inHorizon(day, now time.Time, o Opening) error {
	first := time.Date(now.Year(), now.Month(), now.Day()-o.DaysBack, 0, 0, 0, 0, now.Location())
	last := time.Date(now.Year(), now.Month(), now.Day()+o.DaysAhead, 0, 0, 0, 0, now.Location())
	if day.Before(first) || day.After(last) {
		return fmt.Errorf("%s is outside %s to %s: %w", day.Format(time.DateOnly),
			first.Format(time.DateOnly), last.Format(time.DateOnly), ErrOutsideHorizon)
	}
	return nil
}

// shape validates h for the day and returns the opening event without At/By.
func (s *Schedule) shape(loc *time.Location, h Hours) (DayOpened, error) {
	v := domain.Validation()
	if loc == nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation(time.DateOnly, s.date, loc)
	v.Check(err == nil, "date", "must be YYYY-MM-DD")
	opens, okOpen := clock(h.Opens)
	closes, okClose := clock(h.Closes)
	v.Check(okOpen, "opens", "must be HH:MM")
	v.Check(okClose, "closes", "must be HH:MM")
	v.Check(!okOpen || !okClose || opens < closes, "closes", "must be after opens")
	v.Check(h.SlotMinutes >= MinSlotMinutes && h.SlotMinutes <= MaxSlotMinutes, "slotMinutes",
		fmt.Sprintf("must be %d to %d", MinSlotMinutes, MaxSlotMinutes))
	v.Check(h.Capacity >= 1 && h.Capacity <= MaxCapacity, "capacity", fmt.Sprintf("must be 1 to %d", MaxCapacity))
	if err := v.Err(); err != nil {
		return DayOpened{}, err
	}
	first := time.Date(day.Year(), day.Month(), day.Day(), 0, opens, 0, 0, loc)
	end := time.Date(day.Year(), day.Month(), day.Day(), 0, closes, 0, 0, loc)
	n := int(end.Sub(first) / (time.Duration(h.SlotMinutes) * time.Minute))
	if n < 1 {
		return DayOpened{}, domain.Invalidf("slotMinutes", "longer than the opening hours")
	}
	return DayOpened{
		DoctorID: s.doctorID, Date: s.date, TimeZone: loc.String(),
		Opens: h.Opens, Closes: h.Closes, SlotMinutes: h.SlotMinutes, Capacity: h.Capacity,
		FirstSlot: first.UTC(), Slots: n,
	}, nil
}

// clock parses "HH:MM" into minutes after midnight.
func clock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Close marks the day as one the doctor does not work. Closing a closed day
// changes nothing. Errors: ErrHasBookings while any slot is booked, a
// *domain.ValidationError.
func (s *Schedule) Close(reason string, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	_, err := time.Parse(time.DateOnly, s.date)
	v.Check(err == nil, "date", "must be YYYY-MM-DD")
	v.CheckReason(reason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if s.state == stateClosed {
		return nil, nil
	}
	if len(s.bookings) > 0 {
		ids := make([]string, len(s.bookings))
		for i, b := range s.bookings {
			ids[i] = b.reservationID.String()
		}
		return nil, fmt.Errorf("%d bookings (reservations %s; move or cancel them first): %w",
			len(ids), strings.Join(ids, ", "), ErrHasBookings)
	}
	return []domain.Event{DayClosed{DoctorID: s.doctorID, Date: s.date, Reason: reason, At: at.UTC(), By: by}}, nil
}

// Book takes a place in slot for reservationID. Booking a slot the
// reservation already holds changes nothing, so a retried booking is
// harmless. Errors: ErrDayNotOpen, ErrNoSuchSlot, ErrSlotPast (slot before
// at), ErrSlotTaken.
func (s *Schedule) Book(slot time.Time, reservationID uuid.UUID, at time.Time, by string) ([]domain.Event, error) {
	slot = slot.UTC()
	if err := s.bookable(slot, at); err != nil {
		return nil, err
	}
	if s.Holds(slot, reservationID) {
		return nil, nil
	}
	n := s.Booked(slot)
	if n >= s.hours.Capacity {
		return nil, fmt.Errorf("%s %s: %w", s.doctorID, s.local(slot), ErrSlotTaken)
	}
	return []domain.Event{SlotBooked{
		DoctorID: s.doctorID, Date: s.date, Slot: slot, ReservationID: reservationID,
		Booked: n + 1, Capacity: s.hours.Capacity, At: at.UTC(), By: by,
	}}, nil
}

// local writes t in the day's zone (the clinic's), as the people who book
// in local time read it in an error; UTC when the day names no zone.
func (s *Schedule) local(t time.Time) string {
	if loc, err := time.LoadLocation(s.zone); err == nil && s.zone != "" {
		t = t.In(loc)
	}
	return t.Format(time.RFC3339)
}

func (s *Schedule) bookable(slot, at time.Time) error {
	if s.state != stateOpen {
		return fmt.Errorf("%s on %s: %w", s.doctorID, s.date, ErrDayNotOpen)
	}
	if !s.onGrid(slot) {
		return fmt.Errorf("%s: %w", s.local(slot), ErrNoSuchSlot)
	}
	if slot.Before(at) {
		return fmt.Errorf("%s: %w", s.local(slot), ErrSlotPast)
	}
	return nil
}

// Release gives back reservationID's place in slot. Releasing a place the
// reservation does not hold changes nothing (a retried release is harmless).
func (s *Schedule) Release(slot time.Time, reservationID uuid.UUID, reason string, at time.Time, by string) ([]domain.Event, error) {
	slot = slot.UTC()
	if !s.Holds(slot, reservationID) {
		return nil, nil
	}
	return []domain.Event{SlotReleased{
		DoctorID: s.doctorID, Date: s.date, Slot: slot, ReservationID: reservationID,
		Booked: s.Booked(slot) - 1, Capacity: s.hours.Capacity, Reason: reason, At: at.UTC(), By: by,
	}}, nil
}

// Bookings returns the reservations holding places, by slot.
func (s *Schedule) Bookings() map[time.Time][]uuid.UUID {
	out := make(map[time.Time][]uuid.UUID)
	for _, b := range s.bookings {
		slot := time.Unix(b.slot, 0).UTC()
		out[slot] = append(out[slot], b.reservationID)
	}
	return out
}

// perSlot counts the places taken in each slot (Unix seconds).
func (s *Schedule) perSlot() map[int64]int {
	out := make(map[int64]int)
	for _, b := range s.bookings {
		out[b.slot]++
	}
	return out
}

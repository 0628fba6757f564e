package availability

import (
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
)

// Fold returns the doctor's day an event is about and how it
// changes that day's availability (nil when it does not).
func Fold(e domain.Event) (string, func(*Day, projections.Event)) {
	switch e := e.(type) {
	case schedule.DayOpened:
		return ID(e.DoctorID, e.Date), func(a *Day, _ projections.Event) { openDay(a, e) }
	case schedule.DayChanged:
		return ID(e.DoctorID, e.Date), func(a *Day, _ projections.Event) { openDay(a, schedule.DayOpened(e)) }
	case schedule.DayClosed:
		return ID(e.DoctorID, e.Date), func(a *Day, _ projections.Event) {
			a.DoctorID, a.Date, a.Closed, a.Slots = e.DoctorID, e.Date, true, []Slot{}
		}
	case schedule.SlotBooked:
		return ID(e.DoctorID, e.Date), func(a *Day, _ projections.Event) { setBooked(a, e.DoctorID, e.Date, e.Slot, e.Booked, e.Capacity) }
	case schedule.SlotReleased:
		return ID(e.DoctorID, e.Date), func(a *Day, _ projections.Event) { setBooked(a, e.DoctorID, e.Date, e.Slot, e.Booked, e.Capacity) }
	}
	return "", nil
}

// openDay lays out the day's slots, keeping the bookings of slots that stay.
func openDay(a *Day, e schedule.DayOpened) {
	booked := map[int64]int{}
	for _, s := range a.Slots {
		booked[s.Start.Unix()] = s.Booked
	}
	a.DoctorID, a.Date, a.TimeZone, a.Opens, a.Closes = e.DoctorID, e.Date, e.TimeZone, e.Opens, e.Closes
	a.SlotMinutes, a.Capacity, a.Closed = e.SlotMinutes, e.Capacity, false
	a.Slots = make([]Slot, 0, max(e.Slots, 0))
	for k := 0; k < e.Slots; k++ {
		start := e.FirstSlot.UTC().Add(time.Duration(k*e.SlotMinutes) * time.Minute)
		b := booked[start.Unix()]
		a.Slots = append(a.Slots, Slot{Start: start, Capacity: e.Capacity, Booked: b, Free: max(e.Capacity-b, 0)})
	}
}

// setBooked records a slot's bookings as the event states them (the count
// after the event, so the fold needs no arithmetic on history).
func setBooked(a *Day, doctorID, date string, slot time.Time, booked, capacity int) {
	a.DoctorID, a.Date = doctorID, date
	slot = slot.UTC()
	for i := range a.Slots {
		if a.Slots[i].Start.Equal(slot) {
			a.Slots[i].Booked, a.Slots[i].Capacity, a.Slots[i].Free = booked, capacity, max(capacity-booked, 0)
			return
		}
	}
	// A booking for a slot the day's layout does not show (its opening event
	// not seen yet, or parked): keep it rather than lose it.
	a.Slots = append(a.Slots, Slot{Start: slot, Capacity: capacity, Booked: booked, Free: max(capacity-booked, 0)})
}

// Ignored lists the event types availability does not fold, each with
// why (TestEveryReadModelHandlesEveryEventType keeps the list and Fold in
// step with the domain): the schedule's slot events state every count.
func Ignored() map[string]string {
	return projections.IgnoreAllBut(schedule.Types(), "not a schedule event: SlotBooked and SlotReleased state each slot's count")
}

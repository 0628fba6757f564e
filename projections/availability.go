package projections

import (
	"context"
	"time"

	"github.com/vetclinic/clinic/domain/schedule"
)

// AvailabilityColl holds one document per doctor and day.
const AvailabilityColl = "days"

// DoctorDayAvailability is a doctor's day for booking screens.
type DoctorDayAvailability struct {
	DoctorID    string      `json:"doctorId"`
	Date        string      `json:"date"`
	TimeZone    string      `json:"timeZone,omitempty"`
	Opens       string      `json:"opens,omitempty"`
	Closes      string      `json:"closes,omitempty"`
	SlotMinutes int         `json:"slotMinutes,omitempty"`
	Capacity    int         `json:"capacity"`
	Closed      bool        `json:"closed"`
	Slots       []SlotPlace `json:"slots"`
	Position    uint64      `json:"position"`
}

// SlotPlace is one slot and its places.
type SlotPlace struct {
	Start    time.Time `json:"start"`
	Capacity int       `json:"capacity"`
	Booked   int       `json:"booked"`
	Free     int       `json:"free"`
}

// IndexKeys implements Document.
func (d *DoctorDayAvailability) IndexKeys() map[string]string {
	return map[string]string{KeyDay: d.Date}
}

// Availability is the doctors' availability projection.
func Availability() Subscriber {
	return Subscriber{
		Name:    AvailabilityName,
		Filter:  Filter{StreamPrefixes: []string{schedule.StreamPrefix}},
		Indexes: map[string][]string{AvailabilityColl: {KeyDay}},
		Decode:  decodeAhead,
		Handle: func(ctx context.Context, tx *Tx, ev Event) error {
			d, ok, err := decode(ev)
			if !ok {
				return err
			}
			id, fold := AvailabilityFold(d)
			if fold == nil {
				return nil
			}
			return Fold(tx, AvailabilityColl, id, ev, func(a *DoctorDayAvailability, _ bool) error {
				fold(a)
				a.Position = ev.Position.Commit
				return nil
			})
		},
	}
}

// AvailabilityFold returns the doctor's day an event is about and how it
// changes that day's availability (nil when it does not).
func AvailabilityFold(e any) (string, func(*DoctorDayAvailability)) {
	switch e := e.(type) {
	case schedule.DayOpened:
		return DoctorDay(e.DoctorID, e.Date), func(a *DoctorDayAvailability) { openDay(a, e) }
	case schedule.DayChanged:
		return DoctorDay(e.DoctorID, e.Date), func(a *DoctorDayAvailability) { openDay(a, schedule.DayOpened(e)) }
	case schedule.DayClosed:
		return DoctorDay(e.DoctorID, e.Date), func(a *DoctorDayAvailability) {
			a.DoctorID, a.Date, a.Closed, a.Slots = e.DoctorID, e.Date, true, []SlotPlace{}
		}
	case schedule.SlotBooked:
		return DoctorDay(e.DoctorID, e.Date), func(a *DoctorDayAvailability) { setBooked(a, e.DoctorID, e.Date, e.Slot, e.Booked, e.Capacity) }
	case schedule.SlotReleased:
		return DoctorDay(e.DoctorID, e.Date), func(a *DoctorDayAvailability) { setBooked(a, e.DoctorID, e.Date, e.Slot, e.Booked, e.Capacity) }
	}
	return "", nil
}

// openDay lays out the day's slots, keeping the bookings of slots that stay.
func openDay(a *DoctorDayAvailability, e schedule.DayOpened) {
	booked := map[int64]int{}
	for _, s := range a.Slots {
		booked[s.Start.Unix()] = s.Booked
	}
	a.DoctorID, a.Date, a.TimeZone, a.Opens, a.Closes = e.DoctorID, e.Date, e.TimeZone, e.Opens, e.Closes
	a.SlotMinutes, a.Capacity, a.Closed = e.SlotMinutes, e.Capacity, false
	a.Slots = make([]SlotPlace, 0, max(e.Slots, 0))
	for k := 0; k < e.Slots; k++ {
		start := e.FirstSlot.UTC().Add(time.Duration(k*e.SlotMinutes) * time.Minute)
		b := booked[start.Unix()]
		a.Slots = append(a.Slots, SlotPlace{Start: start, Capacity: e.Capacity, Booked: b, Free: max(e.Capacity-b, 0)})
	}
}

// setBooked records a slot's bookings as the event states them (the count
// after the event, so the fold needs no arithmetic on history).
func setBooked(a *DoctorDayAvailability, doctorID, date string, slot time.Time, booked, capacity int) {
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
	a.Slots = append(a.Slots, SlotPlace{Start: slot, Capacity: capacity, Booked: booked, Free: max(capacity-booked, 0)})
}

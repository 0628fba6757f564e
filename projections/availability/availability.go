// Package availability is the doctors' availability read model: one
// document per doctor and day with its slots and their free places, for
// booking screens. It holds the document, its fold, its subscriber and the
// reads its queries make.
package availability

import (
	"time"

	"github.com/vetclinic/clinic/projections"
)

// The subscriber's name, the collection (one document per doctor and day)
// and its index key. They are stored: renaming one means a rebuild.
const (
	Name   = "availability"
	Coll   = "days"
	KeyDay = "day"
)

// ID is the id of doctorID's document for day (YYYY-MM-DD, the clinic's
// date).
func ID(doctorID, day string) string { return doctorID + "|" + day }

// Day is the availability document: a doctor's day for booking screens.
type Day struct {
	DoctorID    string `json:"doctorId"`
	Date        string `json:"date"`
	TimeZone    string `json:"timeZone,omitempty"`
	Opens       string `json:"opens,omitempty"`
	Closes      string `json:"closes,omitempty"`
	SlotMinutes int    `json:"slotMinutes,omitempty"`
	Capacity    int    `json:"capacity"`
	Closed      bool   `json:"closed"`
	Slots       []Slot `json:"slots"`
	Position    uint64 `json:"position"`
}

// Slot is one slot and its places.
type Slot struct {
	Start    time.Time `json:"start"`
	Capacity int       `json:"capacity"`
	Booked   int       `json:"booked"`
	Free     int       `json:"free"`
	// Past is never stored: the queries set it (and Free to 0) on the slots
	// that have begun when they answer, since those cannot be booked.
	Past bool `json:"past,omitempty"`
}

// AsOf returns d as a booking screen sees it at now: a slot that has begun
// has no free places, whatever its bookings.
func (d Day) AsOf(now time.Time) Day {
	slots := make([]Slot, len(d.Slots))
	for i, s := range d.Slots {
		if !s.Start.After(now) {
			s.Free, s.Past = 0, true
		}
		slots[i] = s
	}
	d.Slots = slots
	return d
}

// IndexKeys implements projections.Document.
func (d *Day) IndexKeys() map[string]string {
	return map[string]string{KeyDay: d.Date}
}

// Stamp implements projections.Stamped.
func (d *Day) Stamp(_ string, ev projections.Event) { d.Position = ev.Position.Commit }

// Package availability is the doctors' availability read model: one
// document per doctor and day with its slots and their free places, for
// booking screens. It holds the document, its fold, its subscriber and the
// reads its queries make.
package availability

import "time"

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
}

// IndexKeys implements projections.Document.
func (d *Day) IndexKeys() map[string]string {
	return map[string]string{KeyDay: d.Date}
}

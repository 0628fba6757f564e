package schedule

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
)

// Stored event type names. Never change one: it is in the stored data.
const (
	TypeDayOpened    = "ScheduleDayOpened"
	TypeDayChanged   = "ScheduleDayChanged"
	TypeDayClosed    = "ScheduleDayClosed"
	TypeSlotBooked   = "SlotBooked"
	TypeSlotReleased = "SlotReleased"
)

// StreamPrefix begins the name of every schedule stream.
const StreamPrefix = "schedule-"

// Stream names the stream of doctorID's day date (YYYY-MM-DD). The date is
// always the last 10 characters, since doctor IDs may contain '-'.
func Stream(doctorID, date string) string { return StreamPrefix + doctorID + "-" + date }

// Reasons a slot is released.
const (
	ReasonCancelled   = "cancelled"
	ReasonRescheduled = "rescheduled"
	ReasonNoShow      = "no_show"
	ReasonOrphaned    = "orphaned"
)

// DayOpened: staff opened a doctor's day. The JSON tags are the stored
// schema; a renamed field must keep its tag.
type DayOpened struct {
	DoctorID    string    `json:"doctorId"`
	Date        string    `json:"date"`
	TimeZone    string    `json:"timeZone"`
	Opens       string    `json:"opens"`
	Closes      string    `json:"closes"`
	SlotMinutes int       `json:"slotMinutes"`
	Capacity    int       `json:"capacity"`
	FirstSlot   time.Time `json:"firstSlot"`
	Slots       int       `json:"slots"`
	// Extra marks a day opened on a weekday the doctor does not usually
	// work (absent in events stored before extra days existed: false).
	Extra bool      `json:"extra,omitempty"`
	At    time.Time `json:"at"`
	By    string    `json:"by"`
}

// DayChanged: staff changed an open day's hours, slot length or capacity.
// Its fields are those of DayOpened.
type DayChanged DayOpened

// DayClosed: the doctor does not work that day.
type DayClosed struct {
	DoctorID string    `json:"doctorId"`
	Date     string    `json:"date"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
}

// SlotBooked: a reservation took a place in a slot. Booked is the number of
// places taken in that slot afterwards.
type SlotBooked struct {
	DoctorID      string    `json:"doctorId"`
	Date          string    `json:"date"`
	Slot          time.Time `json:"slot"`
	ReservationID uuid.UUID `json:"reservationId"`
	Booked        int       `json:"booked"`
	Capacity      int       `json:"capacity"`
	At            time.Time `json:"at"`
	By            string    `json:"by"`
}

// SlotReleased: a reservation gave its place back.
type SlotReleased struct {
	DoctorID      string    `json:"doctorId"`
	Date          string    `json:"date"`
	Slot          time.Time `json:"slot"`
	ReservationID uuid.UUID `json:"reservationId"`
	Booked        int       `json:"booked"`
	Capacity      int       `json:"capacity"`
	Reason        string    `json:"reason"`
	At            time.Time `json:"at"`
	By            string    `json:"by"`
}

func (DayOpened) EventType() string    { return TypeDayOpened }
func (DayChanged) EventType() string   { return TypeDayChanged }
func (DayClosed) EventType() string    { return TypeDayClosed }
func (SlotBooked) EventType() string   { return TypeSlotBooked }
func (SlotReleased) EventType() string { return TypeSlotReleased }

// ErrUnknownType: Decode was given a type this package does not define.
var ErrUnknownType = fmt.Errorf("schedule: unknown event type")

// Types lists the stored type names of this package's events.
func Types() []string {
	return []string{TypeDayOpened, TypeDayChanged, TypeDayClosed, TypeSlotBooked, TypeSlotReleased}
}

// Decode turns a stored event into its struct (a value, not a pointer).
// It returns ErrUnknownType for a type not listed in Types.
func Decode(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case TypeDayOpened:
		return domain.Unmarshal[DayOpened](data)
	case TypeDayChanged:
		return domain.Unmarshal[DayChanged](data)
	case TypeDayClosed:
		return domain.Unmarshal[DayClosed](data)
	case TypeSlotBooked:
		return domain.Unmarshal[SlotBooked](data)
	case TypeSlotReleased:
		return domain.Unmarshal[SlotReleased](data)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownType, eventType)
}

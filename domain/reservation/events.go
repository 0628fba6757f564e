package reservation

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
)

// Stored event type names. Never change one: it is in the stored data.
const (
	TypePlaced      = "ReservationPlaced"
	TypeRescheduled = "ReservationRescheduled"
	TypeCancelled   = "ReservationCancelled"
	TypeCheckedIn   = "ReservationCheckedIn"
	TypeCompleted   = "ReservationCompleted"
	TypeNoShow      = "ReservationNoShow"
	TypeCorrected   = "ReservationDetailsCorrected"
)

// StreamPrefix begins the name of every reservation stream.
const StreamPrefix = "reservation-"

// Stream names the stream of reservation id.
func Stream(id uuid.UUID) string { return StreamPrefix + id.String() }

// MedicalRecordID is the ID of the medical record opened for reservation
// id. It is derived, so a retried placement opens the same record.
func MedicalRecordID(id uuid.UUID) uuid.UUID { return uuid.NewSHA1(id, []byte("medicalrecord")) }

// Customer is who brings the animal. JSON tags are the stored schema.
type Customer struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Pet is the animal to be examined.
type Pet struct {
	Name    string `json:"name"`
	Species string `json:"species"`
}

// Visit is what every reservation event carries, so each is
// self-sufficient for readers: the visit as it is after the event.
type Visit struct {
	ReservationID   uuid.UUID `json:"reservationId"`
	MedicalRecordID uuid.UUID `json:"medicalRecordId"`
	Customer        Customer  `json:"customer"`
	Pet             Pet       `json:"pet"`
	DoctorID        string    `json:"doctorId"`
	Slot            time.Time `json:"slot"`
	Status          Status    `json:"status"`
	At              time.Time `json:"at"`
	By              string    `json:"by"`
}

// Placed: a visit was booked.
type Placed struct {
	Visit
	Reason string `json:"reason"`
}

// Rescheduled: the visit moved; Visit holds the new doctor and slot.
type Rescheduled struct {
	Visit
	OldDoctorID string    `json:"oldDoctorId"`
	OldSlot     time.Time `json:"oldSlot"`
}

// Cancelled: the visit will not take place.
type Cancelled struct {
	Visit
	Reason string `json:"reason"`
}

// CheckedIn: the animal arrived.
type CheckedIn struct{ Visit }

// Completed: the visit is over.
type Completed struct{ Visit }

// NoShow: nobody came.
type NoShow struct{ Visit }

// DetailsCorrected: the customer's name or contact phone, or the pet's
// details, were corrected; Visit holds the new ones (the status is
// unchanged).
type DetailsCorrected struct {
	Visit
	OldCustomer Customer `json:"oldCustomer"`
	OldPet      Pet      `json:"oldPet"`
	Reason      string   `json:"reason"`
}

func (DetailsCorrected) EventType() string { return TypeCorrected }

func (Placed) EventType() string      { return TypePlaced }
func (Rescheduled) EventType() string { return TypeRescheduled }
func (Cancelled) EventType() string   { return TypeCancelled }
func (CheckedIn) EventType() string   { return TypeCheckedIn }
func (Completed) EventType() string   { return TypeCompleted }
func (NoShow) EventType() string      { return TypeNoShow }

// ErrUnknownType: Decode was given a type this package does not define.
var ErrUnknownType = fmt.Errorf("reservation: unknown event type")

// Types lists the stored type names of this package's events.
func Types() []string {
	return []string{TypePlaced, TypeRescheduled, TypeCancelled, TypeCheckedIn, TypeCompleted, TypeNoShow, TypeCorrected}
}

// Decode turns a stored event into its struct (a value, not a pointer).
// It returns ErrUnknownType for a type not listed in Types.
func Decode(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case TypePlaced:
		return domain.Unmarshal[Placed](data)
	case TypeRescheduled:
		return domain.Unmarshal[Rescheduled](data)
	case TypeCancelled:
		return domain.Unmarshal[Cancelled](data)
	case TypeCheckedIn:
		return domain.Unmarshal[CheckedIn](data)
	case TypeCompleted:
		return domain.Unmarshal[Completed](data)
	case TypeNoShow:
		return domain.Unmarshal[NoShow](data)
	case TypeCorrected:
		return domain.Unmarshal[DetailsCorrected](data)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownType, eventType)
}

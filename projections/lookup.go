package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/events"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/domain/reservation"
)

// Subscriber and collection names of the read models. They are stored:
// renaming one means a rebuild.
const (
	LookupName       = "lookup"
	LookupColl       = "reservations"
	LedgerName       = "ledger"
	AvailabilityName = "availability"
)

// Index keys of the lookup documents.
const (
	KeyPhone     = "phone"     // normalised phone number
	KeyDoctorDay = "doctorDay" // doctorID + "|" + YYYY-MM-DD in the clinic's zone
)

// timelineMax bounds a lookup document's timeline (a short history, not an
// audit log: the events are that).
const timelineMax = 20

// Reservation is the lookup document: the current state of one visit.
type Reservation struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Slot          time.Time       `json:"slot"`
	Day           string          `json:"day"` // the slot's date in the clinic's zone
	DoctorID      string          `json:"doctorId"`
	Reason        string          `json:"reason,omitempty"`
	Customer      LookupCustomer  `json:"customer"`
	Pet           LookupPet       `json:"pet"`
	MedicalRecord LookupRecord    `json:"medicalRecord"`
	Bill          *LookupBill     `json:"bill"`
	Timeline      []TimelineEntry `json:"timeline"`
	Position      uint64          `json:"position"`
	UpdatedAt     time.Time       `json:"updatedAt"`
}

// LookupCustomer is who booked.
type LookupCustomer struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// LookupPet is who is seen.
type LookupPet struct {
	Name    string `json:"name"`
	Species string `json:"species"`
}

// LookupRecord is the medical record's state.
type LookupRecord struct {
	ID        string `json:"id"`
	Status    string `json:"status"` // open, finalized, voided
	Diagnosis string `json:"diagnosis,omitempty"`
}

// LookupBill is what the visit costs and what is still owed, in minor units.
type LookupBill struct {
	InvoiceID string `json:"invoiceId"`
	Total     int64  `json:"total"`
	Paid      int64  `json:"paid"`
	Refunded  int64  `json:"refunded"`
	Balance   int64  `json:"balance"`
	Currency  string `json:"currency"`
	Status    string `json:"status"`
}

// TimelineEntry is one status change of the visit.
type TimelineEntry struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	Slot   time.Time `json:"slot,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// IndexKeys implements Document.
func (r *Reservation) IndexKeys() map[string]string {
	k := map[string]string{}
	if p := phone.Normalize(r.Customer.Phone); p != "" {
		k[KeyPhone] = p
	}
	if r.DoctorID != "" && r.Day != "" {
		k[KeyDoctorDay] = DoctorDay(r.DoctorID, r.Day)
	}
	return k
}

// DoctorDay is the index value of a doctor's day.
func DoctorDay(doctorID, day string) string { return doctorID + "|" + day }

// ClinicFilter selects the clinic's streams on $all.
func ClinicFilter() Filter { return Filter{StreamPrefixes: events.StreamPrefixes()} }

// decode turns a recorded event into a domain event; ok is false for a type
// this build does not know (skipped, not failed).
func decode(ev Event) (domain.Event, bool, error) {
	if d, ok := ev.Decoded.(domain.Event); ok {
		return d, true, nil
	}
	d, err := events.Decode(ev.Type, ev.Data)
	if errors.Is(err, events.ErrUnknownType) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("decode %s %s: %w", ev.Type, ev.ID, err)
	}
	return d, true, nil
}

// decodeAhead decodes an event for Subscriber.Decode.
func decodeAhead(ev Event) (any, error) { return events.Decode(ev.Type, ev.Data) }

// Lookup is the reservation lookup projection; loc is the clinic's zone
// (for the day a slot falls on).
func Lookup(loc *time.Location) Subscriber {
	return Subscriber{
		Name:    LookupName,
		Filter:  ClinicFilter(),
		Indexes: map[string][]string{LookupColl: {KeyPhone, KeyDoctorDay}},
		Decode:  decodeAhead,
		Handle: func(ctx context.Context, tx *Tx, ev Event) error {
			d, ok, err := decode(ev)
			if !ok {
				return err
			}
			id, fold := LookupFold(d, loc)
			if fold == nil {
				return nil
			}
			return Fold(tx, LookupColl, id, ev, func(r *Reservation, _ bool) error {
				fold(r)
				r.ID, r.Position, r.UpdatedAt = id, ev.Position.Commit, ev.Created
				return nil
			})
		},
	}
}

// LookupFold returns the reservation an event is about and how it changes
// the lookup document (nil when it does not).
func LookupFold(e domain.Event, loc *time.Location) (string, func(*Reservation)) {
	visit := func(v reservation.Visit, reason string) func(*Reservation) {
		return func(r *Reservation) {
			r.Status, r.Slot, r.DoctorID = string(v.Status), v.Slot.UTC(), v.DoctorID
			r.Day = v.Slot.In(loc).Format(time.DateOnly)
			r.Customer = LookupCustomer{Name: v.Customer.Name, Phone: v.Customer.Phone}
			r.Pet = LookupPet{Name: v.Pet.Name, Species: v.Pet.Species}
			if r.MedicalRecord.ID == "" {
				r.MedicalRecord.ID = v.MedicalRecordID.String()
			}
			if r.MedicalRecord.Status == "" {
				r.MedicalRecord.Status = string(medicalrecord.StatusOpen)
			}
			r.Timeline = append(r.Timeline, TimelineEntry{Status: string(v.Status), At: v.At.UTC(), Slot: v.Slot.UTC(), Reason: reason})
			if n := len(r.Timeline); n > timelineMax {
				r.Timeline = append([]TimelineEntry(nil), r.Timeline[n-timelineMax:]...)
			}
		}
	}
	record := func(id string, status medicalrecord.Status, diagnosis string) func(*Reservation) {
		return func(r *Reservation) {
			r.MedicalRecord.ID = id
			if status != "" {
				r.MedicalRecord.Status = string(status)
			}
			if diagnosis != "" {
				r.MedicalRecord.Diagnosis = diagnosis
			}
		}
	}
	bill := func(b invoice.Bill) func(*Reservation) {
		return func(r *Reservation) {
			r.Bill = &LookupBill{
				InvoiceID: b.InvoiceID.String(), Total: b.Total.Amount, Paid: b.Paid.Amount, Refunded: b.Refunded.Amount,
				Balance: b.Balance.Amount, Currency: b.Total.Currency, Status: string(b.Status),
			}
		}
	}
	switch e := e.(type) {
	case reservation.Placed:
		return e.ReservationID.String(), visit(e.Visit, e.Reason)
	case reservation.Rescheduled:
		return e.ReservationID.String(), visit(e.Visit, "")
	case reservation.Cancelled:
		return e.ReservationID.String(), visit(e.Visit, e.Reason)
	case reservation.CheckedIn:
		return e.ReservationID.String(), visit(e.Visit, "")
	case reservation.Completed:
		return e.ReservationID.String(), visit(e.Visit, "")
	case reservation.NoShow:
		return e.ReservationID.String(), visit(e.Visit, "")
	case medicalrecord.Opened:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), e.Status, "")
	case medicalrecord.DiagnosisRecorded:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), "", e.Diagnosis)
	case medicalrecord.Finalized:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), e.Status, e.Diagnosis)
	case medicalrecord.Voided:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), e.Status, "")
	case invoice.Issued:
		return e.ReservationID.String(), bill(e.Bill)
	case invoice.PaymentRecorded:
		return e.ReservationID.String(), bill(e.Bill)
	case invoice.PaymentRefunded:
		return e.ReservationID.String(), bill(e.Bill)
	}
	return "", nil
}

package reservation

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/domaintest"
)

var (
	now   = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) // the fixed clock
	id    = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	slot  = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	slot2 = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	cust  = Customer{Name: "Jackson", Phone: "010-1234-5678"}
	coco  = Pet{Name: "Coco", Species: "dog"}
)

func visit(s Status) Visit {
	return Visit{ReservationID: id, MedicalRecordID: MedicalRecordID(id), Customer: cust, Pet: coco,
		DoctorID: "dr-kim", Slot: slot, Status: s, At: now, By: "nurse"}
}

// visitAt is visit(s) as of an event at at.
func visitAt(s Status, at time.Time) Visit {
	v := visit(s)
	v.At = at
	return v
}

// week is a check-in window wide enough for the fixed clock, a week before the slot.
const week = 7 * 24 * time.Hour

func placed() Placed { return Placed{Visit: visit(StatusBooked), Reason: "vaccination"} }

var place = Place{Customer: cust, Pet: coco, DoctorID: "dr-kim", Slot: slot, Reason: "vaccination"}

func TestReservation(t *testing.T) {
	t.Parallel()
	moved := visit(StatusBooked)
	moved.DoctorID, moved.Slot = "dr-lee", slot2
	tests := []domaintest.Case[*Reservation]{
		{
			Name: "place",
			When: func(r *Reservation) ([]domain.Event, error) { return r.Place(place, now, "nurse") },
			Then: []domain.Event{placed()},
		},
		{
			Name: "place with bad input",
			When: func(r *Reservation) ([]domain.Event, error) {
				return r.Place(Place{Customer: Customer{Phone: "abc"}, DoctorID: "bad id"}, now, "nurse")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:    "place twice",
			Given:   []domain.Event{placed()},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Place(place, now, "nurse") },
			WantErr: ErrAlreadyPlaced,
		},
		{
			Name:  "reschedule",
			Given: []domain.Event{placed()},
			When:  func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-lee", slot2, now, "nurse") },
			Then:  []domain.Event{Rescheduled{Visit: moved, OldDoctorID: "dr-kim", OldSlot: slot}},
		},
		{
			Name:  "reschedule to the same slot changes nothing",
			Given: []domain.Event{placed()},
			When:  func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot, now, "nurse") },
		},
		{
			Name:    "reschedule unknown",
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			WantErr: ErrNotFound,
		},
		{
			Name:    "reschedule cancelled",
			Given:   []domain.Event{placed(), Cancelled{Visit: visit(StatusCancelled)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			WantErr: ErrCancelled,
		},
		{
			Name:    "reschedule completed",
			Given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}, Completed{visit(StatusCompleted)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			WantErr: ErrCompleted,
		},
		{
			Name:  "cancel",
			Given: []domain.Event{placed()},
			When:  func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			Then:  []domain.Event{Cancelled{Visit: visit(StatusCancelled), Reason: "sick"}},
		},
		{
			Name:    "cancel twice",
			Given:   []domain.Event{placed(), Cancelled{Visit: visit(StatusCancelled)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			WantErr: ErrCancelled,
		},
		{
			Name:    "cancel completed",
			Given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}, Completed{visit(StatusCompleted)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			WantErr: ErrCompleted,
		},
		{
			Name:    "cancel checked in",
			Given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			WantErr: ErrCheckedIn,
		},
		{
			Name:  "check in",
			Given: []domain.Event{placed()},
			When:  func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, week, "nurse") },
			Then:  []domain.Event{CheckedIn{visit(StatusCheckedIn)}},
		},
		{
			Name:    "check in cancelled",
			Given:   []domain.Event{placed(), Cancelled{Visit: visit(StatusCancelled)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, week, "nurse") },
			WantErr: ErrCancelled,
		},
		{
			Name:    "check in twice",
			Given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, week, "nurse") },
			WantErr: ErrCheckedIn,
		},
		{
			Name:  "complete",
			Given: []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			When:  func(r *Reservation) ([]domain.Event, error) { return r.Complete(now, "dr-kim") },
			Then:  []domain.Event{Completed{Visit{ReservationID: id, MedicalRecordID: MedicalRecordID(id), Customer: cust, Pet: coco, DoctorID: "dr-kim", Slot: slot, Status: StatusCompleted, At: now, By: "dr-kim"}}},
		},
		{
			Name:    "complete before check-in",
			Given:   []domain.Event{placed()},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Complete(now, "nurse") },
			WantErr: ErrNotCheckedIn,
		},
		{
			Name:  "no-show",
			Given: []domain.Event{placed()},
			When:  func(r *Reservation) ([]domain.Event, error) { return r.MarkNoShow(slot, "nurse") },
			Then:  []domain.Event{NoShow{visitAt(StatusNoShow, slot)}},
		},
		{
			Name:    "no-show before the slot began",
			Given:   []domain.Event{placed()},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.MarkNoShow(slot.Add(-time.Minute), "nurse") },
			WantErr: ErrNotBegun,
		},
		{
			Name:    "check in before the window opens",
			Given:   []domain.Event{placed()},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, DefaultCheckInWindow, "nurse") },
			WantErr: ErrTooEarly,
		},
		{
			Name:  "check in as the window opens",
			Given: []domain.Event{placed()},
			When: func(r *Reservation) ([]domain.Event, error) {
				return r.CheckIn(slot.Add(-DefaultCheckInWindow), DefaultCheckInWindow, "nurse")
			},
			Then: []domain.Event{CheckedIn{visitAt(StatusCheckedIn, slot.Add(-DefaultCheckInWindow))}},
		},
		{
			Name:    "check in a visit years ahead",
			Given:   []domain.Event{Placed{Visit: Visit{ReservationID: id, Status: StatusBooked, Slot: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, DefaultCheckInWindow, "nurse") },
			WantErr: ErrTooEarly,
		},
		{
			Name:    "no-show after check-in",
			Given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.MarkNoShow(now, "nurse") },
			WantErr: ErrCheckedIn,
		},
		{
			Name:  "correct the customer's phone and the pet's name",
			Given: []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			When: func(r *Reservation) ([]domain.Event, error) {
				return r.CorrectDetails(Customer{Name: "Jackson", Phone: "010-9999-0000"}, Pet{Name: "Koko", Species: "dog"}, "typo", now, "nurse")
			},
			Then: []domain.Event{func() DetailsCorrected {
				v := visit(StatusCheckedIn)
				v.Customer, v.Pet = Customer{Name: "Jackson", Phone: "010-9999-0000"}, Pet{Name: "Koko", Species: "dog"}
				return DetailsCorrected{Visit: v, OldCustomer: cust, OldPet: coco, Reason: "typo"}
			}()},
		},
		{
			Name:  "the same details again change nothing",
			Given: []domain.Event{placed()},
			When:  func(r *Reservation) ([]domain.Event, error) { return r.CorrectDetails(cust, coco, "", now, "nurse") },
		},
		{
			Name:  "correct to an invalid phone",
			Given: []domain.Event{placed()},
			When: func(r *Reservation) ([]domain.Event, error) {
				return r.CorrectDetails(Customer{Name: "J", Phone: "abc"}, coco, "", now, "nurse")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:    "correct an unknown reservation",
			When:    func(r *Reservation) ([]domain.Event, error) { return r.CorrectDetails(cust, coco, "", now, "nurse") },
			WantErr: ErrNotFound,
		},
		{
			Name: "reschedule an unknown reservation, whatever the fields",
			When: func(r *Reservation) ([]domain.Event, error) {
				return r.Reschedule("", time.Time{}, now, "nurse")
			},
			WantErr: ErrNotFound,
		},
		{
			Name:    "reschedule a no-show",
			Given:   []domain.Event{placed(), NoShow{visit(StatusNoShow)}},
			When:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			WantErr: ErrNoShow,
		},
	}
	domaintest.Run(t, func() *Reservation { return New(id) }, tests)
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	domaintest.RoundTrip(t, Decode, placed(), Rescheduled{Visit: visit(StatusBooked), OldDoctorID: "x", OldSlot: slot2},
		Cancelled{Visit: visit(StatusCancelled), Reason: "r"}, CheckedIn{visit(StatusCheckedIn)},
		Completed{visit(StatusCompleted)}, NoShow{visit(StatusNoShow)},
		DetailsCorrected{Visit: visit(StatusBooked), OldCustomer: cust, OldPet: coco, Reason: "typo"})
	data, _ := json.Marshal(placed())
	want := `{"reservationId":"00000000-0000-0000-0000-00000000000a","medicalRecordId":"` + MedicalRecordID(id).String() +
		`","customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},"doctorId":"dr-kim","slot":"2026-12-01T01:00:00Z","status":"booked","at":"2026-11-26T00:00:00Z","by":"nurse","reason":"vaccination"}`
	if string(data) != want {
		t.Errorf("stored JSON changed\n got %s\nwant %s", data, want)
	}
}

// TestDoctorIDRequiredOrInvalid: a doctor id that was sent but cannot be
// one is reported as invalid, not as missing.
func TestDoctorIDRequiredOrInvalid(t *testing.T) {
	t.Parallel()
	for doctor, want := range map[string]string{"": "required", "bad id!": "invalid", strings.Repeat("x", 65): "invalid"} {
		p := place
		p.DoctorID = doctor
		var ve *domain.ValidationError
		if err := p.Validate(); !errors.As(err, &ve) || !strings.HasPrefix(ve.Fields["doctorId"], want) {
			t.Errorf("place with doctor %q: %v; want doctorId %q...", doctor, err, want)
		}
		r := New(id)
		r.Apply(placed())
		_, err := r.Reschedule(doctor, slot2, now, "nurse")
		if !errors.As(err, &ve) || !strings.HasPrefix(ve.Fields["doctorId"], want) {
			t.Errorf("reschedule to doctor %q: %v; want doctorId %q...", doctor, err, want)
		}
	}
}

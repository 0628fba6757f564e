package reservation

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
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

func placed() Placed { return Placed{Visit: visit(StatusBooked), Reason: "vaccination"} }

var place = Place{Customer: cust, Pet: coco, DoctorID: "dr-kim", Slot: slot, Reason: "vaccination"}

func TestReservation(t *testing.T) {
	t.Parallel()
	moved := visit(StatusBooked)
	moved.DoctorID, moved.Slot = "dr-lee", slot2
	tests := []struct {
		name    string
		given   []domain.Event
		when    func(r *Reservation) ([]domain.Event, error)
		then    []domain.Event
		wantErr error
	}{
		{
			name: "place",
			when: func(r *Reservation) ([]domain.Event, error) { return r.Place(place, now, "nurse") },
			then: []domain.Event{placed()},
		},
		{
			name: "place with bad input",
			when: func(r *Reservation) ([]domain.Event, error) {
				return r.Place(Place{Customer: Customer{Phone: "abc"}, DoctorID: "bad id"}, now, "nurse")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name:    "place twice",
			given:   []domain.Event{placed()},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Place(place, now, "nurse") },
			wantErr: ErrAlreadyPlaced,
		},
		{
			name:  "reschedule",
			given: []domain.Event{placed()},
			when:  func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-lee", slot2, now, "nurse") },
			then:  []domain.Event{Rescheduled{Visit: moved, OldDoctorID: "dr-kim", OldSlot: slot}},
		},
		{
			name:  "reschedule to the same slot changes nothing",
			given: []domain.Event{placed()},
			when:  func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot, now, "nurse") },
		},
		{
			name:    "reschedule unknown",
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			wantErr: ErrNotFound,
		},
		{
			name:    "reschedule cancelled",
			given:   []domain.Event{placed(), Cancelled{Visit: visit(StatusCancelled)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			wantErr: ErrCancelled,
		},
		{
			name:    "reschedule completed",
			given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}, Completed{visit(StatusCompleted)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			wantErr: ErrCompleted,
		},
		{
			name:  "cancel",
			given: []domain.Event{placed()},
			when:  func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			then:  []domain.Event{Cancelled{Visit: visit(StatusCancelled), Reason: "sick"}},
		},
		{
			name:    "cancel twice",
			given:   []domain.Event{placed(), Cancelled{Visit: visit(StatusCancelled)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			wantErr: ErrCancelled,
		},
		{
			name:    "cancel completed",
			given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}, Completed{visit(StatusCompleted)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			wantErr: ErrCompleted,
		},
		{
			name:    "cancel checked in",
			given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Cancel("sick", now, "nurse") },
			wantErr: ErrCheckedIn,
		},
		{
			name:  "check in",
			given: []domain.Event{placed()},
			when:  func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, "nurse") },
			then:  []domain.Event{CheckedIn{visit(StatusCheckedIn)}},
		},
		{
			name:    "check in cancelled",
			given:   []domain.Event{placed(), Cancelled{Visit: visit(StatusCancelled)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, "nurse") },
			wantErr: ErrCancelled,
		},
		{
			name:    "check in twice",
			given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.CheckIn(now, "nurse") },
			wantErr: ErrCheckedIn,
		},
		{
			name:  "complete",
			given: []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			when:  func(r *Reservation) ([]domain.Event, error) { return r.Complete(now, "dr-kim") },
			then:  []domain.Event{Completed{Visit{ReservationID: id, MedicalRecordID: MedicalRecordID(id), Customer: cust, Pet: coco, DoctorID: "dr-kim", Slot: slot, Status: StatusCompleted, At: now, By: "dr-kim"}}},
		},
		{
			name:    "complete before check-in",
			given:   []domain.Event{placed()},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Complete(now, "nurse") },
			wantErr: ErrNotCheckedIn,
		},
		{
			name:  "no-show",
			given: []domain.Event{placed()},
			when:  func(r *Reservation) ([]domain.Event, error) { return r.MarkNoShow(now, "nurse") },
			then:  []domain.Event{NoShow{visit(StatusNoShow)}},
		},
		{
			name:    "no-show after check-in",
			given:   []domain.Event{placed(), CheckedIn{visit(StatusCheckedIn)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.MarkNoShow(now, "nurse") },
			wantErr: ErrCheckedIn,
		},
		{
			name:    "reschedule a no-show",
			given:   []domain.Event{placed(), NoShow{visit(StatusNoShow)}},
			when:    func(r *Reservation) ([]domain.Event, error) { return r.Reschedule("dr-kim", slot2, now, "nurse") },
			wantErr: ErrNoShow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(id)
			r.Apply(tt.given...)
			got, err := tt.when(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.then, got); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidPhone(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"010-1234-5678": true, "01012345678": true, "+82 10 1234 5678": true, "(02) 123-4567": true,
		"": false, "123": false, "010-1234-567a": false, "1+2345678": false, "１２３４５６７８": false, "010-1234-5678" + strings.Repeat(" ", 30): false,
	} {
		if got := ValidPhone(s); got != want {
			t.Errorf("ValidPhone(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, e := range []domain.Event{placed(), Rescheduled{Visit: visit(StatusBooked), OldDoctorID: "x", OldSlot: slot2},
		Cancelled{Visit: visit(StatusCancelled), Reason: "r"}, CheckedIn{visit(StatusCheckedIn)},
		Completed{visit(StatusCompleted)}, NoShow{visit(StatusNoShow)}} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(e.EventType(), data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", e.EventType(), err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", e.EventType(), diff)
		}
	}
	data, _ := json.Marshal(placed())
	want := `{"reservationId":"00000000-0000-0000-0000-00000000000a","medicalRecordId":"` + MedicalRecordID(id).String() +
		`","customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},"doctorId":"dr-kim","slot":"2026-12-01T01:00:00Z","status":"booked","at":"2026-11-26T00:00:00Z","by":"nurse","reason":"vaccination"}`
	if string(data) != want {
		t.Errorf("stored JSON changed\n got %s\nwant %s", data, want)
	}
}

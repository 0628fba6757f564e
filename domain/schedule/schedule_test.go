package schedule

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
)

var (
	seoul = mustZone("Asia/Seoul")
	now   = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) // the fixed clock
	kim   = clinic.Doctor{ID: "dr-kim", Name: "Kim", Weekdays: []time.Weekday{time.Monday, time.Tuesday}}
	resA  = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	resB  = uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	nine  = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)  // 09:00 in Seoul
	nine3 = time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC) // 09:30 in Seoul
)

const day = "2026-12-01" // a Tuesday

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var std = Hours{Opens: "09:00", Closes: "18:00", SlotMinutes: 30, Capacity: 1}

func opened(h Hours, slots int) DayOpened {
	return DayOpened{DoctorID: "dr-kim", Date: day, TimeZone: "Asia/Seoul", Opens: h.Opens, Closes: h.Closes,
		SlotMinutes: h.SlotMinutes, Capacity: h.Capacity, FirstSlot: nine, Slots: slots, At: now, By: "nurse"}
}

func booked(slot time.Time, id uuid.UUID, n, capacity int) SlotBooked {
	return SlotBooked{DoctorID: "dr-kim", Date: day, Slot: slot, ReservationID: id, Booked: n, Capacity: capacity, At: now, By: "nurse"}
}

func released(slot time.Time, id uuid.UUID, n, capacity int, reason string) SlotReleased {
	return SlotReleased{DoctorID: "dr-kim", Date: day, Slot: slot, ReservationID: id, Booked: n, Capacity: capacity, Reason: reason, At: now, By: "nurse"}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	big := std
	big.Capacity = 2
	tests := []struct {
		name    string
		date    string
		given   []domain.Event
		when    func(s *Schedule) ([]domain.Event, error)
		then    []domain.Event
		wantErr error
	}{
		{
			name: "open a day",
			when: func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, now, "nurse") },
			then: []domain.Event{opened(std, 18)},
		},
		{
			name:    "open on a weekday the doctor does not work",
			date:    "2026-12-02",
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, now, "nurse") },
			wantErr: ErrNotWorkingDay,
		},
		{
			name: "open with bad hours",
			when: func(s *Schedule) ([]domain.Event, error) {
				return s.Open(kim, seoul, Hours{Opens: "18:00", Closes: "09:00", SlotMinutes: 1, Capacity: 0}, now, "nurse")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name:    "open with a bad date",
			date:    "2026-13-01",
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, now, "nurse") },
			wantErr: domain.ErrValidation,
		},
		{
			name:  "open again with the same hours changes nothing",
			given: []domain.Event{opened(std, 18)},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, now, "nurse") },
		},
		{
			name:  "change hours keeping bookings",
			given: []domain.Event{opened(std, 18), booked(nine3, resA, 1, 1)},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, big, now, "nurse") },
			then:  []domain.Event{DayChanged(opened(big, 18))},
		},
		{
			name:  "change that strands a booking is refused",
			given: []domain.Event{opened(std, 18), booked(nine3, resA, 1, 1)},
			when: func(s *Schedule) ([]domain.Event, error) {
				return s.Open(kim, seoul, Hours{Opens: "09:00", Closes: "18:00", SlotMinutes: 60, Capacity: 1}, now, "nurse")
			},
			wantErr: ErrStrandBookings,
		},
		{
			name:    "lowering capacity below the bookings is refused",
			given:   []domain.Event{opened(big, 18), booked(nine, resA, 1, 2), booked(nine, resB, 2, 2)},
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, now, "nurse") },
			wantErr: ErrStrandBookings,
		},
		{
			name:  "book a free slot",
			given: []domain.Event{opened(std, 18)},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			then:  []domain.Event{booked(nine, resA, 1, 1)},
		},
		{
			name:    "book on a day not opened",
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			wantErr: ErrDayNotOpen,
		},
		{
			name:    "book on a closed day",
			given:   []domain.Event{opened(std, 18), DayClosed{DoctorID: "dr-kim", Date: day}},
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			wantErr: ErrDayNotOpen,
		},
		{
			name:    "book off the grid",
			given:   []domain.Event{opened(std, 18)},
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine.Add(10*time.Minute), resA, now, "nurse") },
			wantErr: ErrNoSuchSlot,
		},
		{
			name:    "book after closing time",
			given:   []domain.Event{opened(std, 18)},
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine.Add(9*time.Hour), resA, now, "nurse") },
			wantErr: ErrNoSuchSlot,
		},
		{
			name:    "book a slot in the past",
			given:   []domain.Event{opened(std, 18)},
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, nine.Add(time.Minute), "nurse") },
			wantErr: ErrSlotPast,
		},
		{
			name:    "book the last place taken by another",
			given:   []domain.Event{opened(std, 18), booked(nine, resB, 1, 1)},
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			wantErr: ErrSlotTaken,
		},
		{
			name:  "booking twice for one reservation is idempotent",
			given: []domain.Event{opened(std, 18), booked(nine, resA, 1, 1)},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
		},
		{
			name:  "second place of a slot with capacity two",
			given: []domain.Event{opened(big, 18), booked(nine, resB, 1, 2)},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			then:  []domain.Event{booked(nine, resA, 2, 2)},
		},
		{
			name:  "a released place can be booked again",
			given: []domain.Event{opened(std, 18), booked(nine, resB, 1, 1), released(nine, resB, 0, 1, ReasonCancelled)},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			then:  []domain.Event{booked(nine, resA, 1, 1)},
		},
		{
			name:  "release",
			given: []domain.Event{opened(std, 18), booked(nine, resA, 1, 1)},
			when: func(s *Schedule) ([]domain.Event, error) {
				return s.Release(nine, resA, ReasonCancelled, now, "nurse")
			},
			then: []domain.Event{released(nine, resA, 0, 1, ReasonCancelled)},
		},
		{
			name:  "release what is not held changes nothing",
			given: []domain.Event{opened(std, 18), booked(nine, resB, 1, 1)},
			when: func(s *Schedule) ([]domain.Event, error) {
				return s.Release(nine, resA, ReasonCancelled, now, "nurse")
			},
		},
		{
			name:  "close an empty day",
			given: []domain.Event{opened(std, 18)},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Close("conference", now, "nurse") },
			then:  []domain.Event{DayClosed{DoctorID: "dr-kim", Date: day, Reason: "conference", At: now, By: "nurse"}},
		},
		{
			name:    "close a day with bookings",
			given:   []domain.Event{opened(std, 18), booked(nine, resA, 1, 1)},
			when:    func(s *Schedule) ([]domain.Event, error) { return s.Close("conference", now, "nurse") },
			wantErr: ErrHasBookings,
		},
		{
			name:  "reopen a closed day",
			given: []domain.Event{opened(std, 18), DayClosed{DoctorID: "dr-kim", Date: day}},
			when:  func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, now, "nurse") },
			then:  []domain.Event{opened(std, 18)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			date := tt.date
			if date == "" {
				date = day
			}
			s := New("dr-kim", date)
			s.Apply(tt.given...)
			got, err := tt.when(s)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.then, got); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, e := range []domain.Event{opened(std, 18), DayChanged(opened(std, 18)), DayClosed{DoctorID: "d", Date: day, At: now},
		booked(nine, resA, 1, 1), released(nine, resA, 0, 1, ReasonNoShow)} {
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
	if _, err := Decode("Nope", nil); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type err = %v", err)
	}
	if _, err := Decode(TypeSlotBooked, []byte("{")); err == nil {
		t.Error("bad JSON decoded")
	}
}

func TestWireNames(t *testing.T) {
	t.Parallel()
	// The stored schema: these strings must never change.
	data, _ := json.Marshal(booked(nine, resA, 1, 1))
	want := `{"doctorId":"dr-kim","date":"2026-12-01","slot":"2026-12-01T00:00:00Z","reservationId":"00000000-0000-0000-0000-00000000000a","booked":1,"capacity":1,"at":"2026-11-26T00:00:00Z","by":"nurse"}`
	if string(data) != want {
		t.Errorf("SlotBooked JSON\n got %s\nwant %s", data, want)
	}
	if Stream("dr-kim", day) != "schedule-dr-kim-2026-12-01" {
		t.Errorf("Stream = %s", Stream("dr-kim", day))
	}
}

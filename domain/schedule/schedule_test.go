package schedule

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/domaintest"
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

// rules are the default horizon, no extra day.
var rules = Opening{DaysBack: DefaultDaysBack, DaysAhead: DefaultDaysAhead}

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
	tests := []domaintest.Case[*Schedule]{
		{
			Name: "open a day",
			When: func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, rules, now, "nurse") },
			Then: []domain.Event{opened(std, 18)},
		},
		{
			Name: "open with bad hours",
			When: func(s *Schedule) ([]domain.Event, error) {
				return s.Open(kim, seoul, Hours{Opens: "18:00", Closes: "09:00", SlotMinutes: 1, Capacity: 0}, rules, now, "nurse")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "open again with the same hours changes nothing",
			Given: []domain.Event{opened(std, 18)},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, rules, now, "nurse") },
		},
		{
			Name:  "change hours keeping bookings",
			Given: []domain.Event{opened(std, 18), booked(nine3, resA, 1, 1)},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, big, rules, now, "nurse") },
			Then:  []domain.Event{DayChanged(opened(big, 18))},
		},
		{
			Name:  "change that strands a booking is refused",
			Given: []domain.Event{opened(std, 18), booked(nine3, resA, 1, 1)},
			When: func(s *Schedule) ([]domain.Event, error) {
				return s.Open(kim, seoul, Hours{Opens: "09:00", Closes: "18:00", SlotMinutes: 60, Capacity: 1}, rules, now, "nurse")
			},
			WantErr: ErrStrandBookings,
		},
		{
			Name:    "lowering capacity below the bookings is refused",
			Given:   []domain.Event{opened(big, 18), booked(nine, resA, 1, 2), booked(nine, resB, 2, 2)},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, rules, now, "nurse") },
			WantErr: ErrStrandBookings,
		},
		{
			Name:  "book a free slot",
			Given: []domain.Event{opened(std, 18)},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			Then:  []domain.Event{booked(nine, resA, 1, 1)},
		},
		{
			Name:    "book on a day not opened",
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			WantErr: ErrDayNotOpen,
		},
		{
			Name:    "book on a closed day",
			Given:   []domain.Event{opened(std, 18), DayClosed{DoctorID: "dr-kim", Date: day}},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			WantErr: ErrDayNotOpen,
		},
		{
			Name:    "book off the grid",
			Given:   []domain.Event{opened(std, 18)},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine.Add(10*time.Minute), resA, now, "nurse") },
			WantErr: ErrNoSuchSlot,
		},
		{
			Name:    "book after closing time",
			Given:   []domain.Event{opened(std, 18)},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine.Add(9*time.Hour), resA, now, "nurse") },
			WantErr: ErrNoSuchSlot,
		},
		{
			Name:    "book a slot in the past",
			Given:   []domain.Event{opened(std, 18)},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, nine.Add(time.Minute), "nurse") },
			WantErr: ErrSlotPast,
		},
		{
			Name:    "book the last place taken by another",
			Given:   []domain.Event{opened(std, 18), booked(nine, resB, 1, 1)},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			WantErr: ErrSlotTaken,
		},
		{
			Name:  "booking twice for one reservation is idempotent",
			Given: []domain.Event{opened(std, 18), booked(nine, resA, 1, 1)},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
		},
		{
			Name:  "second place of a slot with capacity two",
			Given: []domain.Event{opened(big, 18), booked(nine, resB, 1, 2)},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			Then:  []domain.Event{booked(nine, resA, 2, 2)},
		},
		{
			Name:  "a released place can be booked again",
			Given: []domain.Event{opened(std, 18), booked(nine, resB, 1, 1), released(nine, resB, 0, 1, ReasonCancelled)},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Book(nine, resA, now, "nurse") },
			Then:  []domain.Event{booked(nine, resA, 1, 1)},
		},
		{
			Name:  "release",
			Given: []domain.Event{opened(std, 18), booked(nine, resA, 1, 1)},
			When: func(s *Schedule) ([]domain.Event, error) {
				return s.Release(nine, resA, ReasonCancelled, now, "nurse")
			},
			Then: []domain.Event{released(nine, resA, 0, 1, ReasonCancelled)},
		},
		{
			Name:  "release what is not held changes nothing",
			Given: []domain.Event{opened(std, 18), booked(nine, resB, 1, 1)},
			When: func(s *Schedule) ([]domain.Event, error) {
				return s.Release(nine, resA, ReasonCancelled, now, "nurse")
			},
		},
		{
			Name:  "close an empty day",
			Given: []domain.Event{opened(std, 18)},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Close("conference", now, "nurse") },
			Then:  []domain.Event{DayClosed{DoctorID: "dr-kim", Date: day, Reason: "conference", At: now, By: "nurse"}},
		},
		{
			Name:    "close a day with bookings",
			Given:   []domain.Event{opened(std, 18), booked(nine, resA, 1, 1)},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Close("conference", now, "nurse") },
			WantErr: ErrHasBookings,
		},
		{
			Name: "open an extra day on the doctor's day off",
			When: func(s *Schedule) ([]domain.Event, error) {
				return New("dr-kim", "2026-12-02").Open(kim, seoul, std, Opening{Extra: true, DaysBack: 1, DaysAhead: 30}, now, "nurse")
			},
			Then: []domain.Event{func() DayOpened {
				e := opened(std, 18)
				e.Date, e.Extra = "2026-12-02", true
				e.FirstSlot = nine.AddDate(0, 0, 1)
				return e
			}()},
		},
		{
			Name:    "close a day with bookings names them",
			Given:   []domain.Event{opened(std, 18), booked(nine, resA, 1, 1)},
			When:    func(s *Schedule) ([]domain.Event, error) { return s.Close("conference", now, "nurse") },
			WantErr: ErrHasBookings,
		},
		{
			Name:  "reopen a closed day",
			Given: []domain.Event{opened(std, 18), DayClosed{DoctorID: "dr-kim", Date: day}},
			When:  func(s *Schedule) ([]domain.Event, error) { return s.Open(kim, seoul, std, rules, now, "nurse") },
			Then:  []domain.Event{opened(std, 18)},
		},
	}
	domaintest.Run(t, func() *Schedule { return New("dr-kim", day) }, tests)
}

// TestOpenOtherDates: dates whose day cannot be opened, whatever the hours.
func TestOpenOtherDates(t *testing.T) {
	t.Parallel()
	for date, want := range map[string]error{
		"2026-12-02": ErrNotWorkingDay, "2026-13-01": domain.ErrValidation,
		"0001-01-01": ErrOutsideHorizon, "9999-12-30": ErrOutsideHorizon, // Mondays both
		"2025-11-25": ErrOutsideHorizon, "2028-11-26": ErrOutsideHorizon, // just outside each end
	} {
		if got, err := New("dr-kim", date).Open(kim, seoul, std, rules, now, "nurse"); !errors.Is(err, want) || got != nil {
			t.Errorf("open %s: %v, err = %v, want %v", date, got, err, want)
		}
	}
}

// TestHorizonEdges: the first and last days of the default horizon open.
func TestHorizonEdges(t *testing.T) {
	t.Parallel()
	lee := clinic.Doctor{ID: "dr-kim", Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}
	for _, date := range []string{"2025-11-26", "2028-11-25"} {
		if _, err := New("dr-kim", date).Open(lee, seoul, std, rules, now, "nurse"); err != nil {
			t.Errorf("open %s: %v", date, err)
		}
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	domaintest.RoundTrip(t, Decode, opened(std, 18), DayChanged(opened(std, 18)), DayClosed{DoctorID: "d", Date: day, At: now},
		booked(nine, resA, 1, 1), released(nine, resA, 0, 1, ReasonNoShow))
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

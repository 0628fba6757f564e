package commands_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/events"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// now is the fixed clock of every test: a week before the booked day.
var now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

const day = "2026-12-01" // a Tuesday

// wideWindow lets the tests check in on the fixed clock, a week before the
// visit, as a clinic that checks in early would configure it.
const wideWindow = 8 * 24 * time.Hour

// afterDay is a clock after every slot of day, for marking no-shows.
func afterDay() time.Time { return at(23, 0) }

var seoul = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at returns the instant of hh:mm on day in Seoul.
func at(hh, mm int) time.Time { return time.Date(2026, 12, 1, hh, mm, 0, 0, seoul) }

type fixture struct {
	store  *esdb.Store
	h      *commands.Handler
	clinic *clinic.Clinic
	kim    string // doctor IDs, unique per test so a shared real server works too
	lee    string
	late   atomic.Bool // the clock stands after the day's slots (afterDay), not at now
}

// clock is the fixture's handlers' clock: now, or afterDay once late is set.
func (f *fixture) clock() time.Time {
	if f.late.Load() {
		return afterDay()
	}
	return now
}

func newClinic(t *testing.T) *clinic.Clinic {
	t.Helper()
	suffix := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	c := &clinic.Clinic{
		Name: "Test clinic", Location: seoul, Currency: "KRW",
		Doctors: []clinic.Doctor{
			{ID: "kim-" + suffix, Name: "Kim", Weekdays: weekdays},
			{ID: "lee-" + suffix, Name: "Lee", Weekdays: weekdays},
		},
		Fees: clinic.FeeSchedule{
			"CONSULT": {Code: "CONSULT", Description: "Consultation", Price: money.KRW(15000)},
			"VACC":    {Code: "VACC", Description: "Vaccination", Price: money.KRW(20000)},
		},
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func openStore(t *testing.T, url string) *esdb.Store {
	t.Helper()
	s, err := esdb.Open(url, esdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openStoreB(b *testing.B, url string) (*esdb.Store, error) {
	s, err := esdb.Open(url, esdb.Options{})
	if err == nil {
		b.Cleanup(func() { s.Close() })
	}
	return s, err
}

func setup(t *testing.T) *fixture {
	t.Helper()
	return setupOn(t, openStore(t, esdbtest.URL(t)))
}

func setupOn(t *testing.T, store commands.Store) *fixture {
	t.Helper()
	c := newClinic(t)
	f := &fixture{clinic: c, kim: c.Doctors[0].ID, lee: c.Doctors[1].ID}
	if s, ok := store.(*esdb.Store); ok {
		f.store = s
	}
	f.h = commands.New(store, c, commands.Options{Clock: f.clock, CheckInWindow: wideWindow})
	return f
}

func (f *fixture) openDay(t *testing.T, doctor string, capacity int) {
	t.Helper()
	_, err := f.h.OpenDay(context.Background(), commands.OpenDay{Meta: commands.Meta{By: "nurse"}, DoctorID: doctor, Date: day,
		Opens: "09:00", Closes: "18:00", SlotMinutes: 30, Capacity: capacity})
	if err != nil {
		t.Fatalf("open day: %v", err)
	}
}

func placeCmd(doctor string, slot time.Time) commands.PlaceReservation {
	return commands.PlaceReservation{
		Meta:     commands.Meta{By: "nurse"},
		Customer: reservation.Customer{Name: "Jackson", Phone: "010-1234-5678"},
		Pet:      reservation.Pet{Name: "Coco", Species: "dog"},
		DoctorID: doctor, Slot: slot, Reason: "vaccination",
	}
}

func (f *fixture) place(t *testing.T, doctor string, slot time.Time) commands.PlaceResult {
	t.Helper()
	res, err := f.h.PlaceReservation(context.Background(), placeCmd(doctor, slot))
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	return res
}

// faulty wraps a real store and fails appends to streams for which fail
// says so, as a crash between two appends would leave them.
type faulty struct {
	commands.Store
	fail    func(stream string) bool
	appends atomic.Int64
}

var errCrash = errors.New("test: crashed")

func (s *faulty) Append(ctx context.Context, stream string, expected int64, events []commands.Proposed) (commands.Written, error) {
	if s.fail(stream) {
		return commands.Written{}, errCrash
	}
	s.appends.Add(1)
	return s.Store.Append(ctx, stream, expected, events)
}

// read returns the decoded events of stream.
func read(t *testing.T, s commands.Store, stream string) []domain.Event {
	t.Helper()
	recs, err := s.Read(context.Background(), stream, 0)
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	out := make([]domain.Event, len(recs))
	for i, r := range recs {
		if out[i], err = events.Decode(r.Type, r.Data); err != nil {
			t.Fatalf("decode %s: %v", r.Type, err)
		}
	}
	return out
}

func types(evs []domain.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.EventType()
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantTypes(t *testing.T, s commands.Store, stream string, want ...string) []domain.Event {
	t.Helper()
	evs := read(t, s, stream)
	if got := types(evs); !equal(got, want) {
		t.Fatalf("%s holds %v, want %v", stream, got, want)
	}
	return evs
}

// crashAfter returns a handler on f's store that "crashes" after its first
// n appends: every later append fails, as if the process had been killed
// there. Nothing retries its commands.
func (f *fixture) crashAfter(n int64) *commands.Handler {
	crashing := &faulty{Store: f.store}
	crashing.fail = func(string) bool { return crashing.appends.Load() >= n }
	return commands.New(crashing, f.clinic, commands.Options{Clock: f.clock, CheckInWindow: wideWindow})
}

// sweep runs the sweep once the grace period is over, then again: the
// second must find nothing left to do. It returns the first's summary.
func (f *fixture) sweep(t *testing.T) commands.SweepSummary {
	t.Helper()
	ctx := context.Background()
	at := f.clock().Add(commands.SweepGrace)
	first, err := f.h.Sweep(ctx, at)
	if err != nil {
		t.Fatalf("sweep: %v (did %+v)", err, first)
	}
	again, err := f.h.Sweep(ctx, at)
	if err != nil || again.Completed() != 0 {
		t.Fatalf("second sweep: %+v, %v; want nothing done", again, err)
	}
	return first
}

// done is a SweepSummary with only what was completed, for comparing.
func done(s commands.SweepSummary) commands.SweepSummary {
	s.Days, s.Bookings = 0, 0
	return s
}

// bookedID returns the reservation of the last booking in doctor's day.
func (f *fixture) bookedID(t *testing.T, doctor string) uuid.UUID {
	t.Helper()
	evs := read(t, f.store, schedule.Stream(doctor, day))
	for i := len(evs) - 1; i >= 0; i-- {
		if b, ok := evs[i].(schedule.SlotBooked); ok {
			return b.ReservationID
		}
	}
	t.Fatalf("no booking in %s's day", doctor)
	return uuid.Nil
}

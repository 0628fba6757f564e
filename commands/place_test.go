package commands_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

func TestPlaceReservation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	if res.ReservationID == uuid.Nil || res.MedicalRecordID != reservation.MedicalRecordID(res.ReservationID) {
		t.Fatalf("result %+v", res)
	}
	if res.Revision != 0 || res.Position == 0 {
		t.Fatalf("revision %d position %d, want 0 and a position", res.Revision, res.Position)
	}
	evs := wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
	if b := evs[1].(schedule.SlotBooked); b.ReservationID != res.ReservationID || !b.Slot.Equal(at(10, 0)) {
		t.Fatalf("booking %+v", b)
	}
	p := wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced)[0].(reservation.Placed)
	if p.Customer.Phone != "010-1234-5678" || p.By != "nurse" || !p.At.Equal(now) || p.Slot.Location() != time.UTC {
		t.Fatalf("placed %+v", p)
	}
	o := wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened)[0].(medicalrecord.Opened)
	if o.ReservationID != res.ReservationID || !o.VisitAt.Equal(at(10, 0)) {
		t.Fatalf("opened %+v", o)
	}
}

func TestPlaceReservationRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	f.place(t, f.kim, at(10, 0))
	if _, err := f.h.OpenDay(context.Background(), commands.OpenDay{DoctorID: f.kim, Date: "2026-11-24", Opens: "09:00",
		Closes: "18:00", SlotMinutes: 30, Capacity: 1}); err != nil {
		t.Fatal(err)
	}
	bad := placeCmd(f.kim, at(11, 0))
	bad.Customer.Phone = "call me"
	tests := []struct {
		name string
		cmd  commands.PlaceReservation
		want error
	}{
		{"slot taken", placeCmd(f.kim, at(10, 0)), schedule.ErrSlotTaken},
		{"day not open", placeCmd(f.lee, at(10, 0)), schedule.ErrDayNotOpen},
		{"off the grid", placeCmd(f.kim, at(10, 10)), schedule.ErrNoSuchSlot},
		{"after hours", placeCmd(f.kim, at(18, 0)), schedule.ErrNoSuchSlot},
		{"unknown doctor", placeCmd("dr-who", at(10, 0)), clinic.ErrUnknownDoctor},
		{"bad phone", bad, domain.ErrValidation},
		{"in the past", placeCmd(f.kim, time.Date(2026, 11, 24, 10, 0, 0, 0, seoul)), schedule.ErrSlotPast},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.h.PlaceReservation(context.Background(), tt.cmd)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// Refused placements leave nothing behind.
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
}

// TestLastPlaceConcurrently: 50 commands race for the last place of a slot,
// through five handlers (as if five processes) so that the event store's
// expected revision, not only the in-process lock, decides.
func TestLastPlaceConcurrently(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 2)
	f.place(t, f.kim, at(10, 0)) // one of two places left
	handlers := make([]*commands.Handler, 5)
	for i := range handlers {
		handlers[i] = commands.New(f.store, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow, MaxRetries: 60})
	}
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = handlers[i%len(handlers)].PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0)))
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, schedule.ErrSlotTaken):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d commands got the last place, want exactly 1", won)
	}
	booked := 0
	for _, e := range read(t, f.store, schedule.Stream(f.kim, day)) {
		if _, ok := e.(schedule.SlotBooked); ok {
			booked++
		}
	}
	if booked != 2 {
		t.Fatalf("%d bookings in the schedule, want 2", booked)
	}
}

func TestPlaceIdempotent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 2)
	cmd := placeCmd(f.kim, at(10, 0))
	cmd.IdempotencyKey = "req-1-" + f.kim // unique per run: a real server keeps old runs
	first, err := f.h.PlaceReservation(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.h.PlaceReservation(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatalf("retry returned %+v, first %+v", again, first)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
	// After a cancel, the retried placement still returns the first result and books nothing.
	if _, err := f.h.Cancel(context.Background(), commands.Cancel{ReservationID: first.ReservationID}); err != nil {
		t.Fatal(err)
	}
	if again, err = f.h.PlaceReservation(context.Background(), cmd); err != nil || again.ReservationID != first.ReservationID {
		t.Fatalf("retry after cancel: %+v, %v", again, err)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked, schedule.TypeSlotReleased)
	// Another key is another reservation.
	cmd.IdempotencyKey = "req-2-" + f.kim
	other, err := f.h.PlaceReservation(context.Background(), cmd)
	if err != nil || other.ReservationID == first.ReservationID {
		t.Fatalf("other key: %+v, %v", other, err)
	}
}

// TestPlaceCrashRepairedByRetry: the process "crashes" after booking the
// slot (every later append fails, so no compensation either); the retried
// command completes the placement without a second booking.
func TestPlaceCrashRepairedByRetry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	crashing := &faulty{Store: f.store}
	crashing.fail = func(string) bool { return crashing.appends.Load() >= 1 }
	broken := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
	cmd := placeCmd(f.kim, at(10, 0))
	cmd.IdempotencyKey = "crash-1-" + f.kim
	if _, err := broken.PlaceReservation(context.Background(), cmd); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
	res, err := f.h.PlaceReservation(context.Background(), cmd)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
	wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced)
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened)
}

// lostReply stores appends to the streams fail names but reports them as
// failed, as a call whose reply was lost to a timeout.
type lostReply struct {
	commands.Store
	fail func(stream string) bool
}

func (s *lostReply) Append(ctx context.Context, stream string, expected int64, events []commands.Proposed) (commands.Written, error) {
	w, err := s.Store.Append(ctx, stream, expected, events)
	if err == nil && s.fail(stream) {
		return commands.Written{}, fmt.Errorf("%w: reply lost", commands.ErrUnavailable)
	}
	return w, err
}

// TestPlaceLostReplyKeepsBooking: the placement is stored but its reply is
// lost; the booking the reservation holds must not be released (that would
// let a second visit into the slot), and the retry completes the command.
func TestPlaceLostReplyKeepsBooking(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	lost := &lostReply{Store: f.store, fail: func(stream string) bool { return strings.HasPrefix(stream, reservation.StreamPrefix) }}
	h := commands.New(lost, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
	cmd := placeCmd(f.kim, at(10, 0))
	cmd.IdempotencyKey = "lost-1-" + f.kim
	if _, err := h.PlaceReservation(context.Background(), cmd); !errors.Is(err, commands.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
	if _, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0))); !errors.Is(err, schedule.ErrSlotTaken) {
		t.Fatalf("second visit: err = %v, want ErrSlotTaken", err)
	}
	res, err := f.h.PlaceReservation(context.Background(), cmd)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced)
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened)
}

// TestPlaceCrashBeforeRecord: the reservation is placed but its record is
// not opened; the retry opens it and returns the first result.
func TestPlaceCrashBeforeRecord(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	crashing := &faulty{Store: f.store, fail: func(stream string) bool { return strings.HasPrefix(stream, medicalrecord.StreamPrefix) }}
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
	cmd := placeCmd(f.kim, at(10, 0))
	cmd.IdempotencyKey = "crash-2-" + f.kim
	if _, err := h.PlaceReservation(context.Background(), cmd); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	res, err := f.h.PlaceReservation(context.Background(), cmd)
	if err != nil || res.Revision != 0 {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced)
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened)
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
}

// TestOrphanReleased: without a retry, the booking of a crashed placement is
// released by the sweep; a live booking is kept.
func TestOrphanReleased(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	live := f.place(t, f.kim, at(9, 0))
	if _, err := f.crashAfter(1).PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0))); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	if sum := f.sweep(t); done(sum) != (commands.SweepSummary{OrphansReleased: 1}) {
		t.Fatalf("sweep did %+v; want one orphan released", sum)
	}
	evs := wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked,
		schedule.TypeSlotBooked, schedule.TypeSlotReleased)
	if r := evs[3].(schedule.SlotReleased); r.ReservationID == live.ReservationID || r.Reason != schedule.ReasonOrphaned {
		t.Fatalf("released %+v", r)
	}
	// The slot is free again.
	f.place(t, f.kim, at(10, 0))
}

// TestSweepGrace: a booking younger than the grace period is left alone, as
// its placement may still be in flight.
func TestSweepGrace(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.lee, 1)
	if _, err := f.crashAfter(1).PlaceReservation(context.Background(), placeCmd(f.lee, at(15, 0))); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	if sum, err := f.h.Sweep(context.Background(), now.Add(commands.SweepGrace-time.Second)); err != nil || sum.Completed() != 0 {
		t.Fatalf("sweep within grace did %+v, %v", sum, err)
	}
	if sum := f.sweep(t); sum.OrphansReleased != 1 {
		t.Fatalf("sweep did %+v; want one orphan released", sum)
	}
}

// TestPlaceCompletedBySweep: a placement cut after each of its appends, and
// never retried, is completed by the sweep: the booking of a reservation
// never placed is released; a placed reservation gets its record.
func TestPlaceCompletedBySweep(t *testing.T) {
	t.Parallel()
	t.Run("after booking", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.openDay(t, f.kim, 1)
		if _, err := f.crashAfter(1).PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0))); !errors.Is(err, errCrash) {
			t.Fatalf("err = %v, want the crash", err)
		}
		id := f.bookedID(t, f.kim)
		if sum := f.sweep(t); done(sum) != (commands.SweepSummary{OrphansReleased: 1}) {
			t.Fatalf("sweep did %+v", sum)
		}
		wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked, schedule.TypeSlotReleased)
		wantTypes(t, f.store, reservation.Stream(id))
		wantTypes(t, f.store, medicalrecord.Stream(reservation.MedicalRecordID(id)))
	})
	t.Run("after placing", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.openDay(t, f.kim, 1)
		if _, err := f.crashAfter(2).PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0))); !errors.Is(err, errCrash) {
			t.Fatalf("err = %v, want the crash", err)
		}
		id := f.bookedID(t, f.kim)
		if sum := f.sweep(t); done(sum) != (commands.SweepSummary{RecordsOpened: 1}) {
			t.Fatalf("sweep did %+v", sum)
		}
		wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
		wantTypes(t, f.store, reservation.Stream(id), reservation.TypePlaced)
		o := wantTypes(t, f.store, medicalrecord.Stream(reservation.MedicalRecordID(id)), medicalrecord.TypeOpened)[0].(medicalrecord.Opened)
		if o.ReservationID != id || !o.VisitAt.Equal(at(10, 0)) || o.DoctorID != f.kim {
			t.Fatalf("opened %+v", o)
		}
		// The visit can now be examined.
		if _, err := f.h.CheckIn(context.Background(), commands.CheckIn{ReservationID: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.h.RecordDiagnosis(context.Background(), commands.RecordDiagnosis{MedicalRecordID: o.MedicalRecordID, Diagnosis: "healthy"}); err != nil {
			t.Fatal(err)
		}
	})
}

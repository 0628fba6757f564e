package commands_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// Crash tests: a command is cut short between two appends by wrapping the
// real store so that later appends fail (faulty), then a retry or a repair
// must complete it without doubling anything.

// TestPlaceCrashRepairedByRetry: the process "crashes" after booking the
// slot (every later append fails, so no compensation either); the retried
// command completes the placement without a second booking.
func TestPlaceCrashRepairedByRetry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	crashing := &faulty{Store: f.store}
	crashing.fail = func(string) bool { return crashing.appends.Load() >= 1 }
	broken := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }})
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

// TestOrphanReleased: without a retry, the booking of a crashed placement is
// released by ReleaseOrphans; a live booking is kept.
func TestOrphanReleased(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	live := f.place(t, f.kim, at(9, 0))
	crashing := &faulty{Store: f.store}
	crashing.fail = func(string) bool { return crashing.appends.Load() >= 1 }
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	if _, err := h.PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0))); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	n, err := f.h.ReleaseOrphans(context.Background(), f.kim, day, 0)
	if err != nil || n != 1 {
		t.Fatalf("released %d, %v; want 1", n, err)
	}
	evs := wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked,
		schedule.TypeSlotBooked, schedule.TypeSlotReleased)
	if r := evs[3].(schedule.SlotReleased); r.ReservationID == live.ReservationID || r.Reason != schedule.ReasonOrphaned {
		t.Fatalf("released %+v", r)
	}
	// The slot is free again.
	f.place(t, f.kim, at(10, 0))
	// A sweep over the clinic's days finds nothing more to release.
	if n, err := f.h.SweepOrphans(context.Background(), now, 10, 0); err != nil || n != 0 {
		t.Fatalf("sweep released %d, %v; want 0", n, err)
	}
}

func TestSweepOrphans(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.lee, 1)
	crashing := &faulty{Store: f.store}
	crashing.fail = func(string) bool { return crashing.appends.Load() >= 1 }
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	if _, err := h.PlaceReservation(context.Background(), placeCmd(f.lee, at(15, 0))); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	// Too young to be an orphan: a placement may still be in flight.
	if n, err := f.h.SweepOrphans(context.Background(), now, 10, time.Minute); err != nil || n != 0 {
		t.Fatalf("sweep within grace released %d, %v", n, err)
	}
	if n, err := f.h.SweepOrphans(context.Background(), now, 10, 0); err != nil || n != 1 {
		t.Fatalf("sweep released %d, %v; want 1", n, err)
	}
}

// TestCancelCrashRepaired: the cancel is stored but voiding and release are
// not; the repeated cancel reports ErrCancelled and completes them.
func TestCancelCrashRepaired(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	crashing := &faulty{Store: f.store}
	crashing.fail = func(string) bool { return crashing.appends.Load() >= 1 }
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	if _, err := h.Cancel(context.Background(), commands.Cancel{ReservationID: res.ReservationID}); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened)
	if _, err := f.h.Cancel(context.Background(), commands.Cancel{ReservationID: res.ReservationID}); !errors.Is(err, reservation.ErrCancelled) {
		t.Fatalf("err = %v, want ErrCancelled", err)
	}
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened, medicalrecord.TypeVoided)
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked, schedule.TypeSlotReleased)
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
	h := commands.New(lost, f.clinic, commands.Options{Clock: func() time.Time { return now }})
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
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }})
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

// TestRescheduleCrashRepairedByRetry: the reservation moved but the old slot
// was not released nor the record moved; the retry (same key) does both.
func TestRescheduleCrashRepairedByRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	crashing := &faulty{Store: f.store}
	crashing.fail = func(string) bool { return crashing.appends.Load() >= 2 } // book new, move; then crash
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	cmd := commands.Reschedule{Meta: commands.Meta{IdempotencyKey: "move-1"}, ReservationID: res.ReservationID, Slot: at(12, 0)}
	if _, err := h.Reschedule(ctx, cmd); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced, reservation.TypeRescheduled)
	first, err := f.h.Reschedule(ctx, cmd)
	if err != nil || first.Revision != 1 {
		t.Fatalf("retry: %+v, %v", first, err)
	}
	again, err := f.h.Reschedule(ctx, cmd)
	if err != nil || again != first {
		t.Fatalf("second retry: %+v, %v; first %+v", again, err, first)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked,
		schedule.TypeSlotBooked, schedule.TypeSlotReleased)
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened, medicalrecord.TypeVisitTimeChanged)
	wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced, reservation.TypeRescheduled)
}

// TestRepairReservation: a placement whose record was never opened, and a
// cancellation whose follow-ups never ran, are completed by the repair.
func TestRepairReservation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	noRecords := &faulty{Store: f.store, fail: func(stream string) bool { return strings.HasPrefix(stream, medicalrecord.StreamPrefix) }}
	h := commands.New(noRecords, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	if _, err := h.PlaceReservation(ctx, placeCmd(f.kim, at(10, 0))); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	evs := read(t, f.store, schedule.Stream(f.kim, day))
	id := evs[len(evs)-1].(schedule.SlotBooked).ReservationID
	if _, err := f.h.RepairReservation(ctx, id); err != nil {
		t.Fatal(err)
	}
	wantTypes(t, f.store, medicalrecord.Stream(reservation.MedicalRecordID(id)), medicalrecord.TypeOpened)

	crashAfterCancel := &faulty{Store: f.store}
	crashAfterCancel.fail = func(string) bool { return crashAfterCancel.appends.Load() >= 1 }
	h = commands.New(crashAfterCancel, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	if _, err := h.Cancel(ctx, commands.Cancel{ReservationID: id}); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	for range 2 { // the second repair finds nothing to do
		if _, err := f.h.RepairReservation(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	wantTypes(t, f.store, medicalrecord.Stream(reservation.MedicalRecordID(id)), medicalrecord.TypeOpened, medicalrecord.TypeVoided)
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked, schedule.TypeSlotReleased)
	if _, err := f.h.RepairReservation(ctx, uuid.New()); !errors.Is(err, reservation.ErrNotFound) {
		t.Fatalf("repair of an unknown reservation: %v", err)
	}
}

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
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// TestRepairReservation: a placement whose record was never opened, and a
// cancellation whose follow-ups never ran, are completed by the repair.
func TestRepairReservation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	noRecords := &faulty{Store: f.store, fail: func(stream string) bool { return strings.HasPrefix(stream, medicalrecord.StreamPrefix) }}
	h := commands.New(noRecords, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
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
	h = commands.New(crashAfterCancel, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
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

// TestSweepWritesNothingWhenConsistent: over visits in every state, the
// sweep reads and does not even try to append.
func TestSweepWritesNothingWhenConsistent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 2)
	f.place(t, f.kim, at(9, 0))
	moved := f.place(t, f.kim, at(10, 0))
	if _, err := f.h.Reschedule(ctx, commands.Reschedule{ReservationID: moved.ReservationID, Slot: at(11, 0)}); err != nil {
		t.Fatal(err)
	}
	cancelled := f.place(t, f.kim, at(12, 0))
	if _, err := f.h.Cancel(ctx, commands.Cancel{ReservationID: cancelled.ReservationID}); err != nil {
		t.Fatal(err)
	}
	billed := f.place(t, f.kim, at(13, 0))
	if _, err := f.h.CheckIn(ctx, commands.CheckIn{ReservationID: billed.ReservationID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RecordDiagnosis(ctx, commands.RecordDiagnosis{MedicalRecordID: billed.MedicalRecordID, Diagnosis: "healthy"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: billed.MedicalRecordID, NoCharge: true}); err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int64
	watched := &faulty{Store: f.store, fail: func(string) bool { attempts.Add(1); return false }}
	sweeper := commands.New(watched, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
	sum, err := sweeper.Sweep(ctx, now.Add(commands.SweepGrace))
	if err != nil || sum.Completed() != 0 || attempts.Load() != 0 {
		t.Fatalf("sweep did %+v, %v, with %d appends tried; want none", sum, err, attempts.Load())
	}
	if sum.Bookings != 3 || sum.Days != 2*(commands.SweepDaysBack+1+commands.SweepDaysAhead) {
		t.Fatalf("sweep inspected %d bookings in %d days", sum.Bookings, sum.Days)
	}
}

package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

func TestReschedule(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	f.openDay(t, f.lee, 1)
	res := f.place(t, f.kim, at(10, 0))
	// Within the day.
	r1, err := f.h.Reschedule(context.Background(), commands.Reschedule{ReservationID: res.ReservationID, Slot: at(11, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Revision != 1 {
		t.Fatalf("revision %d, want 1", r1.Revision)
	}
	// To another doctor.
	if _, err := f.h.Reschedule(context.Background(), commands.Reschedule{ReservationID: res.ReservationID, DoctorID: f.lee, Slot: at(14, 0)}); err != nil {
		t.Fatal(err)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened,
		schedule.TypeSlotBooked, schedule.TypeSlotBooked, schedule.TypeSlotReleased, schedule.TypeSlotReleased)
	wantTypes(t, f.store, schedule.Stream(f.lee, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
	evs := wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened,
		medicalrecord.TypeVisitTimeChanged, medicalrecord.TypeVisitTimeChanged)
	if m := evs[2].(medicalrecord.VisitTimeChanged); m.DoctorID != f.lee || !m.VisitAt.Equal(at(14, 0)) || !m.OldVisitAt.Equal(at(11, 0)) {
		t.Fatalf("moved %+v", m)
	}
	// Both old slots are free again.
	f.place(t, f.kim, at(10, 0))
	f.place(t, f.kim, at(11, 0))
	// To an unknown doctor: refused.
	if _, err := f.h.Reschedule(context.Background(), commands.Reschedule{ReservationID: res.ReservationID, DoctorID: "dr-who", Slot: at(15, 0)}); !errors.Is(err, clinic.ErrUnknownDoctor) {
		t.Fatalf("reschedule to an unknown doctor: %v", err)
	}
	// To a taken slot: refused, nothing moves.
	other := f.place(t, f.lee, at(15, 0))
	_, err = f.h.Reschedule(context.Background(), commands.Reschedule{ReservationID: other.ReservationID, Slot: at(14, 0)})
	if !errors.Is(err, schedule.ErrSlotTaken) {
		t.Fatalf("err = %v, want slot taken", err)
	}
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
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
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

// TestRescheduleCompletedBySweep: a reschedule cut after each of its
// appends, and never retried, is completed by the sweep: the new booking of
// a reservation that never moved is released; the old place of one that
// moved is released and its record follows.
func TestRescheduleCompletedBySweep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		crashAfter int64
		want       commands.SweepSummary
		visitAt    time.Time // the record's visit time afterwards
		released   string    // the reason of the release that ends the day
	}{
		{"after booking the new slot", 1, commands.SweepSummary{OrphansReleased: 1}, at(10, 0), schedule.ReasonOrphaned},
		{"after moving the reservation", 2, commands.SweepSummary{OldSlotsReleased: 1, RecordsMoved: 1}, at(12, 0), schedule.ReasonRescheduled},
		{"after releasing the old slot", 3, commands.SweepSummary{RecordsMoved: 1}, at(12, 0), schedule.ReasonRescheduled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := setup(t)
			f.openDay(t, f.kim, 1)
			res := f.place(t, f.kim, at(10, 0))
			cmd := commands.Reschedule{ReservationID: res.ReservationID, Slot: at(12, 0)}
			if _, err := f.crashAfter(tt.crashAfter).Reschedule(ctx, cmd); !errors.Is(err, errCrash) {
				t.Fatalf("err = %v, want the crash", err)
			}
			if sum := f.sweep(t); done(sum) != tt.want {
				t.Fatalf("sweep did %+v, want %+v", sum, tt.want)
			}
			evs := wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked,
				schedule.TypeSlotBooked, schedule.TypeSlotReleased)
			if r := evs[3].(schedule.SlotReleased); r.Reason != tt.released {
				t.Fatalf("released %+v, want reason %q", r, tt.released)
			}
			r, err := f.h.RepairReservation(ctx, res.ReservationID) // nothing left for it either
			if err != nil {
				t.Fatal(err)
			}
			recs := read(t, f.store, medicalrecord.Stream(res.MedicalRecordID))
			visitAt := recs[0].(medicalrecord.Opened).VisitAt
			if len(recs) > 1 {
				visitAt = recs[len(recs)-1].(medicalrecord.VisitTimeChanged).VisitAt
			}
			if !visitAt.Equal(tt.visitAt) || len(recs) > 2 {
				t.Fatalf("record %v at %s, want at %s (reservation at revision %d)", types(recs), visitAt, tt.visitAt, r.Revision)
			}
			// The place the visit does not hold is free again.
			free := at(12, 0)
			if tt.crashAfter > 1 {
				free = at(10, 0)
			}
			f.place(t, f.kim, free)
		})
	}
}

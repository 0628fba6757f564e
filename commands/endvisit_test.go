package commands_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

func TestCancel(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	if _, err := f.h.Cancel(context.Background(), commands.Cancel{ReservationID: res.ReservationID, Reason: "sick"}); err != nil {
		t.Fatal(err)
	}
	wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced, reservation.TypeCancelled)
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened, medicalrecord.TypeVoided)
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked, schedule.TypeSlotReleased)
	_, err := f.h.Cancel(context.Background(), commands.Cancel{ReservationID: res.ReservationID})
	if !errors.Is(err, reservation.ErrCancelled) {
		t.Fatalf("second cancel: %v", err)
	}
	for name, call := range map[string]func() error{
		"reschedule": func() error {
			_, err := f.h.Reschedule(context.Background(), commands.Reschedule{ReservationID: res.ReservationID, Slot: at(11, 0)})
			return err
		},
		"check in": func() error {
			_, err := f.h.CheckIn(context.Background(), commands.CheckIn{ReservationID: res.ReservationID})
			return err
		},
	} {
		if err := call(); !errors.Is(err, reservation.ErrCancelled) {
			t.Errorf("%s of a cancelled visit: %v", name, err)
		}
	}
	if _, err := f.h.RecordDiagnosis(context.Background(), commands.RecordDiagnosis{MedicalRecordID: res.MedicalRecordID, Diagnosis: "x"}); !errors.Is(err, medicalrecord.ErrVoided) {
		t.Errorf("diagnosis on a voided record: %v", err)
	}
	// Nothing more was written by the refused commands.
	wantTypes(t, f.store, reservation.Stream(res.ReservationID), reservation.TypePlaced, reservation.TypeCancelled)
	// The slot is free again.
	f.place(t, f.kim, at(10, 0))
}

func TestNoShow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	if _, err := f.h.NoShow(context.Background(), commands.NoShow{ReservationID: res.ReservationID}); !errors.Is(err, reservation.ErrNotBegun) {
		t.Fatalf("no-show before the slot: %v, want ErrNotBegun", err)
	}
	f.late.Store(true)
	if _, err := f.h.NoShow(context.Background(), commands.NoShow{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	v := wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened, medicalrecord.TypeVoided)[1].(medicalrecord.Voided)
	if v.Reason != medicalrecord.VoidNoShow {
		t.Fatalf("void reason %q", v.Reason)
	}
	if _, err := f.h.Finalize(context.Background(), commands.Finalize{MedicalRecordID: res.MedicalRecordID}); !errors.Is(err, medicalrecord.ErrVoided) {
		t.Fatalf("finalize a no-show: %v", err)
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
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
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

// TestEndVisitCompletedBySweep: a cancel or a no-show cut after each of its
// appends, and never repeated, is completed by the sweep: the record is
// void and the place released, each with the reason of how the visit ended.
func TestEndVisitCompletedBySweep(t *testing.T) {
	t.Parallel()
	type end func(h *commands.Handler, id uuid.UUID) error
	cancel := func(h *commands.Handler, id uuid.UUID) error {
		_, err := h.Cancel(context.Background(), commands.Cancel{ReservationID: id, Reason: "sick"})
		return err
	}
	noShow := func(h *commands.Handler, id uuid.UUID) error {
		_, err := h.NoShow(context.Background(), commands.NoShow{ReservationID: id})
		return err
	}
	tests := []struct {
		name       string
		end        end
		crashAfter int64
		void       string
		release    string
		want       commands.SweepSummary
	}{
		{"cancel, after cancelling", cancel, 1, medicalrecord.VoidCancelled, schedule.ReasonCancelled,
			commands.SweepSummary{RecordsVoided: 1, EndedSlotsReleased: 1}},
		{"cancel, after voiding", cancel, 2, medicalrecord.VoidCancelled, schedule.ReasonCancelled,
			commands.SweepSummary{EndedSlotsReleased: 1}},
		{"no-show, after marking", noShow, 1, medicalrecord.VoidNoShow, schedule.ReasonNoShow,
			commands.SweepSummary{RecordsVoided: 1, EndedSlotsReleased: 1}},
		{"no-show, after voiding", noShow, 2, medicalrecord.VoidNoShow, schedule.ReasonNoShow,
			commands.SweepSummary{EndedSlotsReleased: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.openDay(t, f.kim, 1)
			res := f.place(t, f.kim, at(10, 0))
			f.late.Store(true) // a no-show is marked after the slot; a cancel may be too
			if err := tt.end(f.crashAfter(tt.crashAfter), res.ReservationID); !errors.Is(err, errCrash) {
				t.Fatalf("err = %v, want the crash", err)
			}
			if sum := f.sweep(t); done(sum) != tt.want {
				t.Fatalf("sweep did %+v, want %+v", sum, tt.want)
			}
			v := wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened, medicalrecord.TypeVoided)[1].(medicalrecord.Voided)
			r := wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked, schedule.TypeSlotReleased)[2].(schedule.SlotReleased)
			if v.Reason != tt.void || r.Reason != tt.release {
				t.Fatalf("voided %q, released %q; want %q, %q", v.Reason, r.Reason, tt.void, tt.release)
			}
			if _, err := f.h.AddTreatments(context.Background(), commands.AddTreatments{MedicalRecordID: res.MedicalRecordID,
				Items: []medicalrecord.Treatment{{Code: "CONSULT", Quantity: 1}}}); !errors.Is(err, medicalrecord.ErrVoided) {
				t.Fatalf("treatment on the ended visit: %v", err)
			}
		})
	}
}

// TestEndVisitWithoutRecord: a placement cut before its record, then
// cancelled (completely, or cut after the cancel and left to the sweep):
// the visit still ends with a void record.
func TestEndVisitWithoutRecord(t *testing.T) {
	t.Parallel()
	for _, swept := range []bool{false, true} {
		t.Run(fmt.Sprintf("swept=%v", swept), func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.openDay(t, f.kim, 1)
			if _, err := f.crashAfter(2).PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0))); !errors.Is(err, errCrash) {
				t.Fatalf("err = %v, want the crash", err)
			}
			id := f.bookedID(t, f.kim)
			h, want := f.h, commands.SweepSummary{}
			if swept {
				h, want = f.crashAfter(1), commands.SweepSummary{RecordsOpened: 1, RecordsVoided: 1, EndedSlotsReleased: 1}
			}
			if _, err := h.Cancel(context.Background(), commands.Cancel{ReservationID: id}); swept != errors.Is(err, errCrash) || (!swept && err != nil) {
				t.Fatalf("cancel: %v", err)
			}
			if sum := f.sweep(t); done(sum) != want {
				t.Fatalf("sweep did %+v, want %+v", sum, want)
			}
			wantTypes(t, f.store, medicalrecord.Stream(reservation.MedicalRecordID(id)), medicalrecord.TypeOpened, medicalrecord.TypeVoided)
			wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked, schedule.TypeSlotReleased)
		})
	}
}

package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/events"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

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
		handlers[i] = commands.New(f.store, f.clinic, commands.Options{Clock: func() time.Time { return now }, MaxRetries: 60})
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

func TestIfMatch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	stale := uint64(5)
	_, err := f.h.CheckIn(context.Background(), commands.CheckIn{Meta: commands.Meta{IfMatch: &stale}, ReservationID: res.ReservationID})
	if !errors.Is(err, commands.ErrStale) {
		t.Fatalf("err = %v, want ErrStale", err)
	}
	current := res.Revision
	r, err := f.h.CheckIn(context.Background(), commands.CheckIn{Meta: commands.Meta{IfMatch: &current}, ReservationID: res.ReservationID})
	if err != nil || r.Revision != current+1 {
		t.Fatalf("check in: %+v, %v", r, err)
	}
}

func TestUnknownReservation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := f.h.CheckIn(context.Background(), commands.CheckIn{ReservationID: uuid.New()})
	if !errors.Is(err, reservation.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
	_, err = f.h.Cancel(context.Background(), commands.Cancel{ReservationID: uuid.New()})
	if !errors.Is(err, reservation.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}

// TestStaleCache: a handler decides on a history another process has moved
// past; refusals and no-ops are checked against the store, and conflicts
// are decided again.
func TestStaleCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	other := commands.New(f.store, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	res := f.place(t, f.kim, at(10, 0)) // f.h caches the day and the reservation
	if _, err := other.Cancel(ctx, commands.Cancel{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	// f.h's cache says booked: the check-in conflicts, catches up and is refused.
	if _, err := f.h.CheckIn(ctx, commands.CheckIn{ReservationID: res.ReservationID}); !errors.Is(err, reservation.ErrCancelled) {
		t.Fatalf("check in after another process cancelled: %v", err)
	}
	// f.h's cache says the slot is taken; the store says it is free.
	if _, err := f.h.PlaceReservation(ctx, placeCmd(f.kim, at(10, 0))); err != nil {
		t.Fatalf("place on a slot another process freed: %v", err)
	}
	// And the other way round: other's cache says free, the store says taken.
	if _, err := other.PlaceReservation(ctx, placeCmd(f.kim, at(10, 0))); !errors.Is(err, schedule.ErrSlotTaken) {
		t.Fatalf("place on a slot another process took: %v", err)
	}
	// If-Match against the store's revision, not a stale cached one.
	cur := uint64(1)
	if _, err := f.h.Reschedule(ctx, commands.Reschedule{Meta: commands.Meta{IfMatch: &cur}, ReservationID: res.ReservationID, Slot: at(11, 0)}); !errors.Is(err, reservation.ErrCancelled) {
		t.Fatalf("reschedule with a current If-Match: %v", err)
	}
}

// TestKeyScopedToTarget: one Idempotency-Key on two reservations is two commands.
func TestKeyScopedToTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	a, b := f.place(t, f.kim, at(10, 0)), f.place(t, f.kim, at(11, 0))
	meta := commands.Meta{IdempotencyKey: "same-key"}
	for _, id := range []uuid.UUID{a.ReservationID, b.ReservationID} {
		if _, err := f.h.Cancel(ctx, commands.Cancel{Meta: meta, ReservationID: id}); err != nil {
			t.Fatalf("cancel %s: %v", id, err)
		}
		wantTypes(t, f.store, reservation.Stream(id), reservation.TypePlaced, reservation.TypeCancelled)
	}
	// And the repeat on the first returns its first result without error.
	if _, err := f.h.Cancel(ctx, commands.Cancel{Meta: meta, ReservationID: a.ReservationID}); err != nil {
		t.Fatalf("repeat: %v", err)
	}
}

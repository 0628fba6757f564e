package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

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
	other := commands.New(f.store, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
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

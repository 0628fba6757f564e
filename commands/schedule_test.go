package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/eventstore"
)

func TestOpenChangeCloseDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	open := func(opens, closes string, slot, capacity int) (commands.Result, error) {
		return f.h.OpenDay(ctx, commands.OpenDay{DoctorID: f.kim, Date: day, Opens: opens, Closes: closes, SlotMinutes: slot, Capacity: capacity})
	}
	first, err := open("09:00", "18:00", 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := open("09:00", "18:00", 30, 1); err != nil || again.Revision != first.Revision {
		t.Fatalf("same hours again: %+v, %v (first %+v)", again, err, first)
	}
	f.place(t, f.kim, at(17, 30))
	if _, err := open("09:00", "17:00", 30, 1); !errors.Is(err, schedule.ErrStrandBookings) {
		t.Fatalf("shorter day stranding a booking: %v", err)
	}
	if r, err := open("08:00", "18:00", 30, 2); err != nil || r.Revision != first.Revision+2 {
		t.Fatalf("longer day: %+v, %v", r, err)
	}
	if _, err := f.h.CloseDay(ctx, commands.CloseDay{DoctorID: f.kim, Date: day}); !errors.Is(err, schedule.ErrHasBookings) {
		t.Fatalf("close with bookings: %v", err)
	}
	for _, tt := range []struct {
		cmd  commands.OpenDay
		want error
	}{
		{commands.OpenDay{DoctorID: "dr-who", Date: day, Opens: "09:00", Closes: "18:00", SlotMinutes: 30, Capacity: 1}, clinic.ErrUnknownDoctor},
		{commands.OpenDay{DoctorID: f.kim, Date: "2026-12-05", Opens: "09:00", Closes: "18:00", SlotMinutes: 30, Capacity: 1}, schedule.ErrNotWorkingDay},
		{commands.OpenDay{DoctorID: f.kim, Date: "tomorrow", Opens: "09:00", Closes: "18:00", SlotMinutes: 30, Capacity: 1}, domain.ErrValidation},
		{commands.OpenDay{DoctorID: f.kim, Date: day, Opens: "9", Closes: "18:00", SlotMinutes: 0, Capacity: 1}, domain.ErrValidation},
	} {
		if _, err := f.h.OpenDay(ctx, tt.cmd); !errors.Is(err, tt.want) {
			t.Errorf("%+v: %v, want %v", tt.cmd, err, tt.want)
		}
	}
	if _, err := f.h.CloseDay(ctx, commands.CloseDay{DoctorID: f.lee, Date: day, Reason: "conference"}); err != nil {
		t.Fatalf("close an empty day: %v", err)
	}
	if _, err := f.h.PlaceReservation(ctx, placeCmd(f.lee, at(10, 0))); !errors.Is(err, schedule.ErrDayNotOpen) {
		t.Fatalf("place on a closed day: %v", err)
	}
}

// TestStoreDown: with the event store gone, commands fail with
// ErrUnavailable (HTTP 503) rather than hanging or a generic error.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	srv, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	f := setupOn(t, openStore(t, srv.URL()))
	f.openDay(t, f.kim, 1)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0)))
		if !errors.Is(err, commands.ErrUnavailable) {
			t.Fatalf("place with the store down: %v, want ErrUnavailable", err)
		}
	}
}

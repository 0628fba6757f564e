package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// TestClinicRules: the handler's defaults refuse a check-in a week early,
// a day outside the horizon, a day off without the extra flag, and an
// invoice over the ceiling; each is configurable.
func TestClinicRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	strict := commands.New(f.store, f.clinic, commands.Options{Clock: func() time.Time { return now }})
	if _, err := strict.CheckIn(ctx, commands.CheckIn{ReservationID: res.ReservationID}); !errors.Is(err, reservation.ErrTooEarly) {
		t.Errorf("check-in a week early with the default window: %v, want ErrTooEarly", err)
	}
	for _, date := range []string{"0001-01-01", "9999-12-31", "2025-11-24"} {
		_, err := strict.OpenDay(ctx, commands.OpenDay{DoctorID: f.kim, Date: date, Opens: "09:00", Closes: "12:00", SlotMinutes: 30, Capacity: 1})
		if !errors.Is(err, schedule.ErrOutsideHorizon) {
			t.Errorf("open %s: %v, want ErrOutsideHorizon", date, err)
		}
	}
	saturday := commands.OpenDay{DoctorID: f.kim, Date: "2026-12-05", Opens: "09:00", Closes: "12:00", SlotMinutes: 30, Capacity: 1}
	if _, err := strict.OpenDay(ctx, saturday); !errors.Is(err, schedule.ErrNotWorkingDay) {
		t.Errorf("open a Saturday: %v, want ErrNotWorkingDay", err)
	}
	saturday.Extra = true
	if _, err := strict.OpenDay(ctx, saturday); err != nil {
		t.Errorf("open a Saturday as an extra day: %v", err)
	}
	if _, err := f.h.CheckIn(ctx, commands.CheckIn{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	tight := commands.New(f.store, f.clinic, commands.Options{Clock: func() time.Time { return now }, InvoiceCeiling: 20_000})
	_, err := tight.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: res.MedicalRecordID,
		Items: []medicalrecord.Treatment{{Code: "CONSULT", Quantity: 1}, {Code: "VACC", Quantity: 1}}})
	if !errors.Is(err, medicalrecord.ErrOverCeiling) {
		t.Errorf("35,000 KRW against a 20,000 ceiling: %v, want ErrOverCeiling", err)
	}
}

// TestCloseDay: a day with bookings is not closed (the error names them);
// once they are moved away it is, and nothing can be booked on it.
func TestCloseDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	closeDay := commands.CloseDay{DoctorID: f.kim, Date: day, Reason: "conference"}
	_, err := f.h.CloseDay(ctx, closeDay)
	if !errors.Is(err, schedule.ErrHasBookings) || !strings.Contains(err.Error(), res.ReservationID.String()) {
		t.Fatalf("close a day with a booking: %v, want ErrHasBookings naming it", err)
	}
	if _, err := f.h.Cancel(ctx, commands.Cancel{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.CloseDay(ctx, closeDay); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.PlaceReservation(ctx, placeCmd(f.kim, at(11, 0))); !errors.Is(err, schedule.ErrDayNotOpen) {
		t.Fatalf("book on the closed day: %v", err)
	}
}

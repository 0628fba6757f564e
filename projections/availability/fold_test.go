package availability_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/availability"
)

func TestAvailabilityFold(t *testing.T) {
	t.Parallel()
	first := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	opened := schedule.DayOpened{DoctorID: "dr-kim", Date: "2026-12-01", TimeZone: "Asia/Seoul", Opens: "09:00", Closes: "10:30",
		SlotMinutes: 30, Capacity: 2, FirstSlot: first, Slots: 3}
	s := func(k, capacity, booked int) availability.Slot {
		return availability.Slot{Start: first.Add(time.Duration(k*30) * time.Minute), Capacity: capacity, Booked: booked, Free: capacity - booked}
	}
	booked := func(k, n int) domain.Event {
		return schedule.SlotBooked{DoctorID: "dr-kim", Date: "2026-12-01", Slot: first.Add(time.Duration(k*30) * time.Minute), Booked: n, Capacity: 2}
	}
	released := func(k, n int) domain.Event {
		return schedule.SlotReleased{DoctorID: "dr-kim", Date: "2026-12-01", Slot: first.Add(time.Duration(k*30) * time.Minute), Booked: n, Capacity: 2}
	}
	changed := opened
	changed.Capacity, changed.Slots, changed.Closes = 3, 2, "10:00"
	tests := []struct {
		name  string
		given []domain.Event
		want  []availability.Slot
	}{
		{"opened", []domain.Event{opened}, []availability.Slot{s(0, 2, 0), s(1, 2, 0), s(2, 2, 0)}},
		{"booked twice, released once", []domain.Event{opened, booked(1, 1), booked(1, 2), released(1, 1)},
			[]availability.Slot{s(0, 2, 0), s(1, 2, 1), s(2, 2, 0)}},
		{"changed keeps bookings", []domain.Event{opened, booked(0, 1), schedule.DayChanged(changed)},
			[]availability.Slot{s(0, 3, 1), s(1, 3, 0)}},
		{"closed", []domain.Event{opened, schedule.DayClosed{DoctorID: "dr-kim", Date: "2026-12-01"}}, []availability.Slot{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got availability.Day
			for _, e := range tt.given {
				id, fold := availability.Fold(e)
				if id != "dr-kim|2026-12-01" {
					t.Fatalf("%T folds into %q", e, id)
				}
				fold(&got, projections.Event{})
			}
			if diff := cmp.Diff(tt.want, got.Slots); diff != "" {
				t.Errorf("slots (-want +got):\n%s", diff)
			}
		})
	}
}

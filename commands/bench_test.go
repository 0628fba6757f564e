package commands_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// BenchmarkPlaceReservation places reservations from 64 goroutines, each
// booking its own doctor's days slot after slot (no contention for a slot):
//
//	go test -run '^$' -bench PlaceReservation -benchtime 20000x ./commands
func BenchmarkPlaceReservation(b *testing.B) {
	const clients, slotsPerDay = 64, 72
	ctx := context.Background()
	c := &clinic.Clinic{Name: "Bench", Location: seoul, Currency: "KRW",
		Fees: clinic.FeeSchedule{"CONSULT": {Code: "CONSULT", Description: "c", Price: money.KRW(1)}}}
	every := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	for i := range clients {
		c.Doctors = append(c.Doctors, clinic.Doctor{ID: fmt.Sprintf("bench-%02d", i), Name: "B", Weekdays: every})
	}
	store, err := openStoreB(b, esdbtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	h := commands.New(store, c, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
	days := b.N/clients/slotsPerDay + 1
	for _, d := range c.Doctors {
		for i := range days {
			date := time.Date(2026, 12, 1+i, 0, 0, 0, 0, seoul).Format(time.DateOnly)
			if _, err := h.OpenDay(ctx, commands.OpenDay{DoctorID: d.ID, Date: date, Opens: "08:00", Closes: "20:00", SlotMinutes: 10, Capacity: 1}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		doctor := c.Doctors[next.Add(1)-1].ID
		n := 0
		for pb.Next() {
			slot := time.Date(2026, 12, 1+n/slotsPerDay, 8, 10*(n%slotsPerDay), 0, 0, seoul)
			n++
			if _, err := h.PlaceReservation(ctx, placeCmd(doctor, slot)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "places/s")
}

// BenchmarkBusyDay places reservations from 64 goroutines on one doctor's
// day (1,000 places per slot), the load of bookings opening for a popular
// vet: every booking waits on the same stream.
//
//	go test -run '^$' -bench BusyDay -benchtime 5000x ./commands
func BenchmarkBusyDay(b *testing.B) {
	const clients, slotsPerDay, capacity = 64, 72, 1000
	ctx := context.Background()
	c := &clinic.Clinic{Name: "Bench", Location: seoul, Currency: "KRW",
		Doctors: []clinic.Doctor{{ID: "busy", Name: "B", Weekdays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}},
		Fees:    clinic.FeeSchedule{"CONSULT": {Code: "CONSULT", Description: "c", Price: money.KRW(1)}}}
	store, err := openStoreB(b, esdbtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	h := commands.New(store, c, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
	days := b.N/(slotsPerDay*capacity) + 1
	for i := range days {
		date := time.Date(2026, 12, 1+i, 0, 0, 0, 0, seoul).Format(time.DateOnly)
		if _, err := h.OpenDay(ctx, commands.OpenDay{DoctorID: "busy", Date: date, Opens: "08:00", Closes: "20:00", SlotMinutes: 10, Capacity: capacity}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(next.Add(1) - 1)
			slot := time.Date(2026, 12, 1+n/(slotsPerDay*capacity), 8, 10*(n%slotsPerDay), 0, 0, seoul)
			if _, err := h.PlaceReservation(ctx, placeCmd("busy", slot)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "places/s")
}

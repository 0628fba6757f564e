package commands_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// TestSweepAfterRepeatedKills is the scenario in a test: "processes"
// run commands from several goroutines until they are killed after a random
// number of appends (every later append fails), clients give up on what a
// kill cut, and nothing is retried. After the sweep, every rule holds:
// every booking is held by a live reservation in that place, every
// reservation has its record, every ended visit's record is void, every
// open record is at its visit's time, every finalised record is billed.
func TestSweepAfterRepeatedKills(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 2)
	f.openDay(t, f.lee, 2)
	rng := rand.New(rand.NewPCG(8, 293))
	var mu sync.Mutex
	known := map[uuid.UUID]bool{}
	pick := func(r *rand.Rand) (uuid.UUID, bool) {
		mu.Lock()
		defer mu.Unlock()
		for id := range known { // map order is random enough
			if r.IntN(3) == 0 {
				return id, true
			}
		}
		return uuid.Nil, false
	}
	doctors := []string{f.kim, f.lee}
	slot := func(r *rand.Rand) time.Time { return at(9+r.IntN(9), 30*r.IntN(2)) }
	cut := 0
	for kill := range 8 {
		limit := int64(10 + rng.IntN(40))
		proc := &faulty{Store: f.store}
		proc.fail = func(string) bool { return proc.appends.Load() >= limit }
		h := commands.New(proc, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
		// No-shows are marked after the day, by a second process on the same store.
		late := commands.New(proc, f.clinic, commands.Options{Clock: afterDay})
		var wg sync.WaitGroup
		var cuts atomic.Int64
		for g := range 4 {
			r := rand.New(rand.NewPCG(uint64(kill), uint64(g)))
			wg.Go(func() {
				for proc.appends.Load() < limit {
					err := step(ctx, h, late, r, doctors, slot, pick, func(id uuid.UUID) { mu.Lock(); known[id] = true; mu.Unlock() })
					if errors.Is(err, errCrash) {
						cuts.Add(1) // the client gives up
						return
					}
				}
			})
		}
		wg.Wait()
		cut += int(cuts.Load())
	}
	before := violations(t, f, doctors)
	f.late.Store(true) // sweep after the no-shows, so they are settled
	sum := f.sweep(t)
	t.Logf("%d requests cut by 8 kills left %d broken rules; the sweep completed %+v", cut, len(before), done(sum))
	if len(before) == 0 || sum.Completed() == 0 {
		t.Fatal("the kills left nothing for the sweep: the test proves nothing")
	}
	for _, v := range violations(t, f, doctors) {
		t.Error(v)
	}
}

// violations lists every rule that does not hold in f's store.
func violations(t *testing.T, f *fixture, doctors []string) []string {
	t.Helper()
	var out []string
	ids := map[uuid.UUID]bool{} // every reservation any booking ever named
	for _, d := range doctors {
		for _, e := range read(t, f.store, schedule.Stream(d, day)) {
			if b, ok := e.(schedule.SlotBooked); ok {
				ids[b.ReservationID] = true
			}
		}
		sched := schedule.New(d, day)
		sched.Apply(read(t, f.store, schedule.Stream(d, day))...)
		for slot, held := range sched.Bookings() {
			for _, id := range held {
				r := reservation.New(id)
				r.Apply(read(t, f.store, reservation.Stream(id))...)
				if v := r.Visit(); !r.Placed() || ended(v.Status) || v.DoctorID != d || !v.Slot.Equal(slot) {
					out = append(out, fmt.Sprintf("%s at %s is held by reservation %s, which is %q at %s %s", d, slot, id, v.Status, v.DoctorID, v.Slot))
				}
			}
		}
	}
	for id := range ids {
		r := reservation.New(id)
		r.Apply(read(t, f.store, reservation.Stream(id))...)
		if !r.Placed() {
			continue
		}
		v := r.Visit()
		m := medicalrecord.New(v.MedicalRecordID)
		m.Apply(read(t, f.store, medicalrecord.Stream(v.MedicalRecordID))...)
		switch {
		case m.Status() == "":
			out = append(out, fmt.Sprintf("reservation %s (%s) has no record", id, v.Status))
		case ended(v.Status) && m.Status() != medicalrecord.StatusVoided:
			out = append(out, fmt.Sprintf("ended visit %s (%s) has a %s record", id, v.Status, m.Status()))
		case m.Status() == medicalrecord.StatusOpen && (m.DoctorID() != v.DoctorID || !m.VisitAt().Equal(v.Slot)):
			out = append(out, fmt.Sprintf("record of %s is at %s %s, the visit at %s %s", id, m.DoctorID(), m.VisitAt(), v.DoctorID, v.Slot))
		case m.Status() == medicalrecord.StatusFinalized:
			i := invoice.New(m.InvoiceID())
			i.Apply(read(t, f.store, invoice.Stream(m.InvoiceID()))...)
			if !i.Issued() {
				out = append(out, fmt.Sprintf("finalised record of %s has no invoice", id))
			}
		}
	}
	return out
}

func ended(s reservation.Status) bool {
	return s == reservation.StatusCancelled || s == reservation.StatusNoShow
}

// step runs one random command the way a client would, without retrying.
func step(ctx context.Context, h, late *commands.Handler, r *rand.Rand, doctors []string, slot func(*rand.Rand) time.Time,
	pick func(*rand.Rand) (uuid.UUID, bool), saw func(uuid.UUID)) error {
	id, ok := pick(r)
	if !ok || r.IntN(3) == 0 {
		res, err := h.PlaceReservation(ctx, placeCmd(doctors[r.IntN(len(doctors))], slot(r)))
		if err == nil {
			saw(res.ReservationID)
		}
		return err
	}
	switch r.IntN(5) {
	case 0:
		_, err := h.Reschedule(ctx, commands.Reschedule{ReservationID: id, DoctorID: doctors[r.IntN(len(doctors))], Slot: slot(r)})
		return err
	case 1:
		_, err := h.Cancel(ctx, commands.Cancel{ReservationID: id})
		return err
	case 2:
		_, err := late.NoShow(ctx, commands.NoShow{ReservationID: id})
		return err
	default:
		if _, err := h.CheckIn(ctx, commands.CheckIn{ReservationID: id}); errors.Is(err, errCrash) {
			return err
		}
		rec := reservation.MedicalRecordID(id)
		if _, err := h.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: rec,
			Items: []medicalrecord.Treatment{{Code: "CONSULT", Quantity: 1}}}); errors.Is(err, errCrash) {
			return err
		}
		if _, err := h.RecordDiagnosis(ctx, commands.RecordDiagnosis{MedicalRecordID: rec, Diagnosis: "healthy"}); errors.Is(err, errCrash) {
			return err
		}
		_, err := h.Finalize(ctx, commands.Finalize{MedicalRecordID: rec})
		return err
	}
}

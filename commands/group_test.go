package commands_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/schedule"
)

// gated wraps a real store and runs hold before each append to one stream
// (n counts those appends from 1); hold may block, or fail the append.
type gated struct {
	commands.Store
	stream string
	n      atomic.Int64
	hold   func(ctx context.Context, n int64) error
}

func (s *gated) Append(ctx context.Context, stream string, expected int64, events []commands.Proposed) (commands.Written, error) {
	if stream == s.stream {
		if err := s.hold(ctx, s.n.Add(1)); err != nil {
			return commands.Written{}, err
		}
	}
	return s.Store.Append(ctx, stream, expected, events)
}

// waitQueued waits until n steps wait on stream in h.
func waitQueued(t *testing.T, h *commands.Handler, stream string, n int) error {
	deadline := time.Now().Add(20 * time.Second)
	for commands.Waiting(h, stream) < n {
		if time.Now().After(deadline) {
			return errors.New("test: the queue never formed")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// gatedFixture returns a fixture whose handler writes to a gated store on
// kim's day, the day opened with capacity places per slot before the gate.
func gatedFixture(t *testing.T, capacity int) (*fixture, *gated) {
	t.Helper()
	f := setup(t)
	f.openDay(t, f.kim, capacity)
	g := &gated{Store: f.store, stream: schedule.Stream(f.kim, day), hold: func(context.Context, int64) error { return nil }}
	f.h = commands.New(g, f.clinic, commands.Options{Clock: f.clock, CheckInWindow: wideWindow})
	return f, g
}

// TestBookingsOnOneDayShareAppends: 40 bookings of one doctor's day at once
// are two appends to the day, not 40: the first booking's append is held
// until the other 39 wait behind it, and they are then decided in order on
// one load and appended together. Every booking succeeds, each with its
// own reservation, and no slot holds more than its capacity.
func TestBookingsOnOneDayShareAppends(t *testing.T) {
	t.Parallel()
	const n, capacity = 40, 3
	f, g := gatedFixture(t, capacity)
	g.hold = func(_ context.Context, i int64) error {
		if i == 1 {
			return waitQueued(t, f.h, g.stream, n-1)
		}
		return nil
	}
	results := make([]commands.PlaceResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			slot := at(9, 0).Add(time.Duration(i%14) * 30 * time.Minute) // 14 slots × 3 places ≥ 40
			results[i], errs[i] = f.h.PlaceReservation(context.Background(), placeCmd(f.kim, slot))
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("booking %d: %v", i, err)
		}
		ids[results[i].ReservationID.String()] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct reservations, want %d", len(ids), n)
	}
	if got := g.n.Load(); got != 2 {
		t.Fatalf("%d appends to the day for %d bookings, want 2 (one alone, then one group of %d)", got, n, n-1)
	}
	perSlot := map[time.Time]int{}
	for _, e := range read(t, f.store, g.stream) {
		if b, ok := e.(schedule.SlotBooked); ok {
			perSlot[b.Slot]++
		}
	}
	total := 0
	for slot, k := range perSlot {
		if k > capacity {
			t.Errorf("slot %s holds %d bookings, capacity %d", slot, k, capacity)
		}
		total += k
	}
	if total != n {
		t.Fatalf("%d bookings stored, want %d", total, n)
	}
}

// TestGroupRefusalsWaitForTheAppend: three bookings of one last place in one
// group: the first wins, the other two are refused, but only once the
// group's append has landed, since they were refused because of the first.
// When that append fails instead, they get the store's error, not
// ErrSlotTaken: the place they lost may never have been taken.
func TestGroupRefusalsWaitForTheAppend(t *testing.T) {
	t.Parallel()
	for _, fails := range []bool{false, true} {
		name := map[bool]string{false: "append lands", true: "append fails"}[fails]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, g := gatedFixture(t, 1)
			leading, entered, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
			g.hold = func(_ context.Context, i int64) error {
				switch i {
				case 1: // the leader's booking, alone: hold it until the group has formed
					close(leading)
					return waitQueued(t, f.h, g.stream, 3)
				case 2: // the group's append
					close(entered)
					<-release
					if fails {
						return errCrash
					}
				}
				return nil
			}
			answers := make(chan error, 4)
			go func() {
				_, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(9, 0)))
				answers <- err
			}()
			<-leading
			for range 3 {
				go func() {
					_, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0)))
					answers <- err
				}()
			}
			if err := <-answers; err != nil {
				t.Fatalf("the leader's booking: %v", err)
			}
			<-entered
			select {
			case err := <-answers:
				t.Fatalf("a booking of the group was answered (%v) before the group's append", err)
			case <-time.After(50 * time.Millisecond):
			}
			close(release)
			won, taken := 0, 0
			for range 3 {
				switch err := <-answers; {
				case err == nil:
					won++
				case errors.Is(err, schedule.ErrSlotTaken):
					taken++
				case fails && errors.Is(err, errCrash):
					// Decided on an earlier step whose append may have been
					// stored: never an answer that lets a caller undo.
					if !commands.MaybeAppended(err) {
						t.Errorf("a step of a failed group append is not marked maybe-appended: %v", err)
					}
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
			if fails {
				if won != 0 || taken != 0 {
					t.Fatalf("after a failed group append: %d won, %d refused as taken; want none of either", won, taken)
				}
				return
			}
			if won != 1 || taken != 2 {
				t.Fatalf("%d won, %d refused; want 1 and 2", won, taken)
			}
		})
	}
}

// TestSameKeyInOneGroup: the same keyed booking twice in one group books
// once, and both answer with the same reservation.
func TestSameKeyInOneGroup(t *testing.T) {
	t.Parallel()
	f, g := gatedFixture(t, 5)
	leading := make(chan struct{})
	g.hold = func(_ context.Context, i int64) error {
		if i == 1 {
			close(leading)
			return waitQueued(t, f.h, g.stream, 2)
		}
		return nil
	}
	lead := make(chan error, 1)
	go func() {
		_, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(9, 0)))
		lead <- err
	}()
	<-leading
	keyed := placeCmd(f.kim, at(11, 0))
	keyed.IdempotencyKey = "nurse\x00place-1"
	var results [2]commands.PlaceResult
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { results[i], errs[i] = f.h.PlaceReservation(context.Background(), keyed) })
	}
	wg.Wait()
	if err := <-lead; err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("keyed bookings: %v, %v", errs[0], errs[1])
	}
	if results[0].ReservationID != results[1].ReservationID {
		t.Fatalf("two reservations for one key: %s, %s", results[0].ReservationID, results[1].ReservationID)
	}
	booked := 0
	for _, e := range read(t, f.store, g.stream) {
		if b, ok := e.(schedule.SlotBooked); ok && b.ReservationID == results[0].ReservationID {
			booked++
		}
	}
	if booked != 1 || g.n.Load() != 2 {
		t.Fatalf("the key booked %d times in %d appends to the day; want once, in 2 appends", booked, g.n.Load())
	}
}

// TestOneCallerLeavingDoesNotFailItsGroup: a caller whose context ends
// while its group appends gets its own error; the others in the group
// are booked, because the group's append does not run on its context.
func TestOneCallerLeavingDoesNotFailItsGroup(t *testing.T) {
	t.Parallel()
	f, g := gatedFixture(t, 5)
	leaving, cancel := context.WithCancel(context.Background())
	defer cancel()
	leading := make(chan struct{})
	g.hold = func(ctx context.Context, i int64) error {
		switch i {
		case 1:
			close(leading)
			return waitQueued(t, f.h, g.stream, 2)
		case 2:
			cancel()
			time.Sleep(10 * time.Millisecond)
			return ctx.Err() // the group's context is not the leaver's
		}
		return nil
	}
	lead := make(chan error, 1)
	go func() {
		_, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(9, 0)))
		lead <- err
	}()
	<-leading
	var stay, leave error
	var wg sync.WaitGroup
	// The stayer queues first and so leads the second group; the leaver
	// waits in it as a member, which is the caller that can leave (the
	// leader runs the append on its own goroutine and answers with it).
	wg.Go(func() { _, stay = f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 0))) })
	wg.Go(func() {
		for commands.Waiting(f.h, g.stream) < 1 { // queue behind the stayer
			time.Sleep(time.Millisecond)
		}
		_, leave = f.h.PlaceReservation(leaving, placeCmd(f.kim, at(10, 0)))
	})
	wg.Wait()
	if err := <-lead; err != nil {
		t.Fatal(err)
	}
	if stay != nil {
		t.Fatalf("the caller that stayed: %v", stay)
	}
	if leave == nil {
		t.Logf("the leaver's booking completed before it noticed") // it may, the booking landed
	} else if !errors.Is(leave, context.Canceled) || !commands.MaybeAppended(leave) {
		t.Fatalf("the leaver: %v, want context.Canceled, marked maybe appended", leave)
	}
}

// TestAPanicInAGroupDoesNotStallItsStream: when a group's commit panics
// (here in the append; in production a bug in a decision), every step of
// the group is answered, as maybe appended, and the stream's queue goes on:
// the next booking of that day is decided and lands.
func TestAPanicInAGroupDoesNotStallItsStream(t *testing.T) {
	t.Parallel()
	f, g := gatedFixture(t, 5)
	leading := make(chan struct{})
	g.hold = func(_ context.Context, i int64) error {
		switch i {
		case 1:
			close(leading)
			return waitQueued(t, f.h, g.stream, 3)
		case 2:
			panic("test: a bug in the group's commit")
		}
		return nil
	}
	first := make(chan error, 1)
	go func() {
		_, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(9, 0)))
		first <- err
	}()
	<-leading
	answers := make(chan error, 3)
	for i := range 3 {
		go func() {
			defer func() {
				if r := recover(); r != nil { // the leader of the group re-panics, as its HTTP handler would see
					answers <- fmt.Errorf("panicked: %v", r)
				}
			}()
			_, err := f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(10, 30*i)))
			answers <- err
		}()
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		select {
		case err := <-answers:
			if err == nil {
				t.Error("a step of the panicked group succeeded")
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a step of the panicked group was never answered")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := f.h.PlaceReservation(ctx, placeCmd(f.kim, at(14, 0))); err != nil {
		t.Fatalf("the next booking of the day after the panic: %v", err)
	}
}

// TestAGroupAppendsWithinItsCallersDeadlines: a group of several callers
// is not cancelled by one of them, but its append still has a deadline,
// the latest of theirs, so a stuck store cannot hold the day's queue for
// longer than any caller would wait.
func TestAGroupAppendsWithinItsCallersDeadlines(t *testing.T) {
	t.Parallel()
	f, g := gatedFixture(t, 5)
	leading := make(chan struct{})
	deadline := make(chan time.Time, 1)
	g.hold = func(ctx context.Context, i int64) error {
		switch i {
		case 1:
			close(leading)
			return waitQueued(t, f.h, g.stream, 2)
		case 2:
			d, ok := ctx.Deadline()
			if !ok {
				d = time.Time{}
			}
			deadline <- d
		}
		return nil
	}
	go f.h.PlaceReservation(context.Background(), placeCmd(f.kim, at(9, 0)))
	<-leading
	short, late := time.Now().Add(30*time.Second), time.Now().Add(40*time.Second)
	var wg sync.WaitGroup
	for _, d := range []time.Time{short, late} {
		wg.Go(func() {
			ctx, cancel := context.WithDeadline(context.Background(), d)
			defer cancel()
			if _, err := f.h.PlaceReservation(ctx, placeCmd(f.kim, at(10, 0))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := <-deadline; !d.Equal(late) {
		t.Fatalf("the group's append had the deadline %v, want the latest caller's, %v", d, late)
	}
}

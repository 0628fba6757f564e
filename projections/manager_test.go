package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

func runManager(t *testing.T, m *projections.Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// waitLive waits until projection name's live copy has processed up to p.
func waitLive(t *testing.T, m *projections.Manager, store projections.Store, name string, p projections.Position) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		changed := m.Changed(name)
		ns, err := projections.LiveNamespace(context.Background(), store, name)
		if err != nil {
			t.Fatal(err)
		}
		cp, _, err := store.Checkpoint(context.Background(), ns)
		if err != nil {
			t.Fatal(err)
		}
		if !cp.Position.Less(p) {
			return ns
		}
		select {
		case <-changed:
		case <-time.After(20 * time.Millisecond): // the pointer may move without a commit here
		case <-deadline:
			t.Fatalf("%s did not reach %v (at %v in %s)", name, p, cp.Position, ns)
		}
	}
}

func TestRebuildWhileQueriesKeepAnswering(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	last := appendMany(src, 300)
	sub := tallySub(nil)
	// The grace outlasts any stall of a loaded machine between a reader
	// resolving the live copy and reading it.
	m := &projections.Manager{Source: src, Store: store, PollInterval: 10 * time.Millisecond, BatchSize: 16, Grace: time.Second,
		Projections: []projections.Projection{{Subscriber: sub, Rebuildable: true}}}
	runManager(t, m)
	if ns := waitLive(t, m, store, "tally", last.Position); ns != "tally~1" {
		t.Fatalf("live copy %s, want tally~1", ns)
	}
	want := snapshot(t, store, "tally~1")

	// Readers resolve the live copy and read through the whole rebuild.
	ctx, stopReaders := context.WithCancel(context.Background())
	var misses, reads atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				ns, err := projections.LiveNamespace(ctx, store, "tally")
				if err != nil {
					misses.Add(1)
					continue
				}
				if _, ok, err := store.Get(ctx, ns, "tallies", "t-3"); err != nil || !ok {
					misses.Add(1)
				}
				reads.Add(1)
			}
		}()
	}

	var reports []projections.Progress
	var mu sync.Mutex
	rb := &projections.Rebuilder{Source: src, Store: store, BatchSize: 8, Grace: time.Second}
	err := rb.Rebuild(context.Background(), projections.Projection{Subscriber: sub, Rebuildable: true}, func(p projections.Progress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	last = appendMany(src, 10) // the live runner follows the new copy
	ns := waitLive(t, m, store, "tally", last.Position)
	stopReaders()
	wg.Wait()

	if ns != "tally~2" {
		t.Errorf("live copy after rebuild %s, want tally~2", ns)
	}
	if n := misses.Load(); n != 0 {
		t.Errorf("%d of %d reads found nothing during the rebuild", n, reads.Load())
	}
	got := snapshot(t, store, ns)
	total := 0
	for k, v := range got {
		total += v.Count
		if w := want[k]; v.Count < w.Count || !cmp.Equal(v.IDs[:w.Count], w.IDs) {
			t.Errorf("%s in the rebuilt copy does not extend the old one", k)
		}
	}
	if total != 310 {
		t.Errorf("rebuilt copy folded %d events, want 310", total)
	}
	if !reports[len(reports)-1].Switched || reports[len(reports)-1].Done < 300 {
		t.Errorf("last progress report %+v", reports[len(reports)-1])
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok, _ := store.Checkpoint(context.Background(), "tally~1"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old copy was not dropped")
		}
	}
}

func TestRebuildRefusesASecondAndResumesAnAbandonedOne(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	last := appendMany(src, 50)
	block := make(chan struct{})
	var blocked atomic.Bool
	slow := tallySub(func(ev projections.Event) error {
		if ev.Position == src.Events()[20].Position && blocked.CompareAndSwap(false, true) {
			<-block
			return errors.New("interrupted")
		}
		return nil
	})
	p := projections.Projection{Subscriber: slow, Rebuildable: true}
	first := &projections.Rebuilder{Source: src, Store: store, BatchSize: 4, Lease: time.Minute, Grace: time.Millisecond}
	ctx, crash := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Rebuild(ctx, p, nil) }()
	for !blocked.Load() {
		time.Sleep(time.Millisecond) // polling a flag set by the handler, not timing
	}

	second := &projections.Rebuilder{Source: src, Store: store, Lease: time.Minute}
	if err := second.Rebuild(context.Background(), p, nil); !errors.Is(err, projections.ErrRebuildRunning) {
		t.Fatalf("second rebuild = %v, want ErrRebuildRunning", err)
	}
	crash() // the first rebuild's process dies mid-way
	close(block)
	if err := <-firstDone; err == nil {
		t.Fatal("interrupted rebuild reported success")
	}
	g, _ := store.Generations(context.Background(), "tally")
	cp, _, _ := store.Checkpoint(context.Background(), projections.Namespace("tally", g.Building))
	if g.Building == 0 || cp.Events == 0 || cp.Events >= 50 {
		t.Fatalf("after the crash: pointers %+v, new copy at %d events; want a half-built copy", g, cp.Events)
	}

	// Once the lease has run out, the next rebuild resumes that copy.
	third := &projections.Rebuilder{Source: src, Store: store, Lease: time.Minute, Grace: time.Millisecond,
		Now: func() time.Time { return time.Now().Add(2 * time.Minute) }}
	var resumed bool
	if err := third.Rebuild(context.Background(), p, func(pr projections.Progress) { resumed = resumed || pr.Resumed }); err != nil {
		t.Fatalf("resumed rebuild: %v", err)
	}
	g2, _ := store.Generations(context.Background(), "tally")
	if !resumed || g2.Live != g.Building || g2.Building != 0 {
		t.Errorf("pointers %+v after resuming copy %d (resumed %v)", g2, g.Building, resumed)
	}
	clean := openStore(t)
	c := projectionstest.Start(t, src, clean, tallySub(nil), 1000)
	c.WaitFor(t, last.Position)
	if diff := cmp.Diff(snapshot(t, clean, "tally~1"), snapshot(t, store, fmt.Sprintf("tally~%d", g2.Live))); diff != "" {
		t.Errorf("resumed rebuild differs from a clean build (-want +got):\n%s", diff)
	}
}

func TestInterruptedRebuildIsResumedAtOnce(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	appendMany(src, 40)
	stopAt := src.Events()[15].Position
	ctx, interrupt := context.WithCancel(context.Background())
	sub := tallySub(func(ev projections.Event) error {
		if ev.Position == stopAt {
			interrupt() // Ctrl-C in the middle
		}
		return nil
	})
	p := projections.Projection{Subscriber: sub, Rebuildable: true}
	rb := &projections.Rebuilder{Source: src, Store: store, BatchSize: 4, Grace: time.Millisecond}
	if err := rb.Rebuild(ctx, p, nil); err == nil {
		t.Fatal("interrupted rebuild reported success")
	}
	g, _ := store.Generations(context.Background(), "tally")
	if g.Building == 0 || g.Owner != "" {
		t.Fatalf("pointers after the interruption %+v: want the copy kept and the claim released", g)
	}
	var resumed bool
	if err := rb.Rebuild(context.Background(), projections.Projection{Subscriber: tallySub(nil), Rebuildable: true},
		func(pr projections.Progress) { resumed = resumed || pr.Resumed }); err != nil {
		t.Fatalf("second rebuild right after: %v", err)
	}
	if g2, _ := store.Generations(context.Background(), "tally"); !resumed || g2.Live != g.Building {
		t.Errorf("pointers %+v, resumed %v; want copy %d live", g2, resumed, g.Building)
	}
}

func TestRebuildKeepsTheOldCopyForItsGrace(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	last := appendMany(src, 30)
	sub := tallySub(nil)
	r := projectionstest.Start(t, src, store, sub, 16)
	r.WaitFor(t, last.Position)
	r.Stop()

	// A short lease makes the heartbeat tick every few milliseconds, well
	// inside the grace.
	rb := &projections.Rebuilder{Source: src, Store: store, BatchSize: 8, Grace: time.Minute, Lease: 25 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	switched, done := make(chan struct{}), make(chan error, 1)
	var once sync.Once
	go func() {
		done <- rb.Rebuild(ctx, projections.Projection{Subscriber: sub, Rebuildable: true}, func(p projections.Progress) {
			if p.Switched {
				once.Do(func() { close(switched) })
			}
		})
	}()
	select {
	case <-switched:
	case err := <-done:
		t.Fatalf("Rebuild ended before switching: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("Rebuild returned during the old copy's grace (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, ok, err := store.Checkpoint(context.Background(), "tally~1"); err != nil || !ok {
		t.Errorf("old copy gone during its grace (%v)", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Rebuild: %v", err)
	}
}

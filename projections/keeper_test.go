package projections_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/projections/storetest"
)

// holders tracks which replicas hold which lease, from Keeper.OnHeld.
type holders struct {
	mu      sync.Mutex
	by      map[string]map[string]bool // lease -> holder -> held
	overlap bool                       // two holders of one lease at once
	changed chan struct{}
}

func newHolders() *holders {
	return &holders{by: map[string]map[string]bool{}, changed: make(chan struct{}, 64)}
}

func (h *holders) hook(holder string) func(name string, held bool) {
	return func(name string, held bool) {
		h.mu.Lock()
		if h.by[name] == nil {
			h.by[name] = map[string]bool{}
		}
		h.by[name][holder] = held
		n := 0
		for _, v := range h.by[name] {
			if v {
				n++
			}
		}
		if n > 1 {
			h.overlap = true
		}
		h.mu.Unlock()
		select {
		case h.changed <- struct{}{}:
		default:
		}
	}
}

func (h *holders) waitHeld(t *testing.T, name, holder string, want bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		got := h.by[name][holder]
		h.mu.Unlock()
		if got == want {
			return
		}
		select {
		case <-h.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s never came to hold=%v lease %s", holder, want, name)
		}
	}
}

func startManager(t *testing.T, m *projections.Manager) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// eachOnce checks that every tally lists each of its events exactly once
// and that want events are in them in all.
func eachOnce(t *testing.T, store projections.Store, ns string, want int) {
	t.Helper()
	n := 0
	for stream, d := range snapshot(t, store, ns) {
		ids := slices.Clone(d.IDs)
		slices.Sort(ids)
		if len(slices.Compact(ids)) != len(d.IDs) || d.Count != len(d.IDs) {
			t.Errorf("%s holds an event twice: count %d, ids %v", stream, d.Count, d.IDs)
		}
		n += len(d.IDs)
	}
	if n != want {
		t.Errorf("%d events applied, want %d", n, want)
	}
}

// TestReplicasHandOverGracefully: two projectors on one store; only the
// holder of the lease applies the projection; when it stops, it releases
// the lease and the standby goes on from the checkpoint at once.
func TestReplicasHandOverGracefully(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	h := newHolders()
	manager := func(holder string) *projections.Manager {
		return &projections.Manager{Source: src, Store: store, PollInterval: 10 * time.Millisecond, BatchSize: 8,
			Projections: []projections.Projection{{Subscriber: tallySub(nil), Rebuildable: true}},
			Keeper:      &projections.Keeper{Leases: store, Holder: holder, TTL: time.Minute, Retry: 10 * time.Millisecond, OnHeld: h.hook(holder)}}
	}
	a, b := manager("a"), manager("b")
	stopA := startManager(t, a)
	h.waitHeld(t, "tally", "a", true)
	startManager(t, b)
	last := appendMany(src, 200)
	waitLive(t, a, store, "tally", last.Position)
	if _, ok := b.RunnerStatus("tally"); ok {
		t.Error("the standby runs the projection too")
	}
	stopA()
	// The lease's TTL is a minute: only the release lets b in this soon.
	h.waitHeld(t, "tally", "b", true)
	last = appendMany(src, 100)
	waitLive(t, b, store, "tally", last.Position)
	eachOnce(t, store, "tally~1", 300)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.overlap {
		t.Error("both replicas held the lease at once")
	}
}

// recordingStore notes the errors of the commits made through it.
type recordingStore struct {
	projections.LeaseStore
	mu   sync.Mutex
	errs []error
}

func (s *recordingStore) Commit(ctx context.Context, ns string, ws []projections.Write, cp *projections.Checkpoint) error {
	err := s.LeaseStore.Commit(ctx, ns, ws, cp)
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
	return err
}

// openClocked opens a bolt store whose leases run on a test clock.
func openClocked(t *testing.T) (*bolt.Store, *storetest.Clock) {
	t.Helper()
	clock := storetest.NewClock()
	store, err := bolt.OpenWith(filepath.Join(t.TempDir(), "read.db"), bolt.Options{Timeout: time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, clock
}

// TestPausedHolderIsFenced: holder a stalls in the middle of a batch (a
// GC pause, a frozen VM: its own timers do not fire, so it does not know
// its lease ran out); b takes the expired lease and applies the events;
// when a wakes, its commit is refused and it stops, so every event is
// applied once and the checkpoint is b's.
func TestPausedHolderIsFenced(t *testing.T) {
	t.Parallel()
	store, clock := openClocked(t)
	src := projectionstest.NewMemorySource()
	h := newHolders()
	paused, resume := make(chan struct{}), make(chan struct{})
	var pauseOnce sync.Once
	var pauseID atomic.Value
	pauseID.Store("")
	stall := func(ev projections.Event) error {
		if ev.ID == pauseID.Load().(string) {
			pauseOnce.Do(func() { close(paused); <-resume })
		}
		return nil
	}
	sa := &recordingStore{LeaseStore: store}
	a := &projections.Manager{Source: src, Store: sa, PollInterval: 10 * time.Millisecond, BatchSize: 8,
		Projections: []projections.Projection{{Subscriber: tallySub(stall), Rebuildable: true}},
		// An hour, on a's own clock: it will not notice the lease is gone.
		Keeper: &projections.Keeper{Leases: sa, Holder: "a", TTL: time.Hour, OnHeld: h.hook("a")}}
	b := &projections.Manager{Source: src, Store: store, PollInterval: 10 * time.Millisecond, BatchSize: 8,
		Projections: []projections.Projection{{Subscriber: tallySub(nil), Rebuildable: true}},
		Keeper:      &projections.Keeper{Leases: store, Holder: "b", TTL: time.Hour, Retry: 10 * time.Millisecond, OnHeld: h.hook("b")}}
	startManager(t, a)
	h.waitHeld(t, "tally", "a", true)
	startManager(t, b)
	first := appendMany(src, 40)
	waitLive(t, a, store, "tally", first.Position)

	pauseID.Store(src.Append("t-1", "Ticked", []byte(`{}`)).ID)
	<-paused
	clock.Add(2 * time.Hour) // the store's clock: a's lease expires
	h.waitHeld(t, "tally", "b", true)
	last := appendMany(src, 40)
	waitLive(t, b, store, "tally", last.Position)

	sa.mu.Lock()
	before := len(sa.errs)
	sa.mu.Unlock()
	close(resume)
	h.waitHeld(t, "tally", "a", false)
	sa.mu.Lock()
	late := slices.Clone(sa.errs[before:])
	sa.mu.Unlock()
	if len(late) == 0 || !errors.Is(late[0], projections.ErrFenced) {
		t.Fatalf("a's commits after it woke: %v; want the first refused with ErrFenced", late)
	}
	for _, err := range late[1:] {
		if err == nil {
			t.Errorf("a committed again after it was fenced")
		}
	}
	eachOnce(t, store, "tally~1", 81)
	cp, _, err := store.Checkpoint(context.Background(), "tally~1")
	if err != nil || cp.Position != last.Position {
		t.Errorf("checkpoint %+v, %v; want b's at %v", cp, err, last.Position)
	}
}

// TestLostLeaseStopsTheWork: when the store refuses a renewal (another
// replica holds the lease now), the work's context is cancelled at once
// and the keeper stands by again instead of returning.
func TestLostLeaseStopsTheWork(t *testing.T) {
	t.Parallel()
	store, clock := openClocked(t)
	k := &projections.Keeper{Leases: store, Holder: "a", TTL: time.Hour, Renew: 10 * time.Millisecond, Retry: 10 * time.Millisecond}
	started, stopped := make(chan struct{}, 4), make(chan error, 4)
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan error, 1)
	go func() {
		held <- k.Hold(ctx, "notice", func(ctx context.Context, l projections.Lease) error {
			started <- struct{}{}
			<-ctx.Done()
			stopped <- ctx.Err()
			return ctx.Err()
		})
	}()
	<-started
	clock.Add(2 * time.Hour)
	if _, err := store.Acquire(context.Background(), "notice", "b", time.Hour); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the work went on after its lease was taken")
	}
	select {
	case err := <-held:
		t.Fatalf("Hold returned %v after losing the lease; want it to stand by", err)
	case <-started:
		t.Fatal("the keeper took the lease again while b holds it")
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	if err := <-held; !errors.Is(err, context.Canceled) {
		t.Errorf("Hold = %v, want context.Canceled", err)
	}
}

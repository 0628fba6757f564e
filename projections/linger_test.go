package projections_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

// heldStore holds the commit of a chosen checkpoint until released, and
// records how many events each commit took.
type heldStore struct {
	projections.Store
	mu      sync.Mutex
	batches []uint64 // events per commit
	events  uint64
	holdAt  uint64        // hold the commit that brings Events to this
	held    chan struct{} // closed when that commit waits
	release chan struct{}
}

func (s *heldStore) Commit(ctx context.Context, ns string, ws []projections.Write, cp *projections.Checkpoint) error {
	if cp != nil {
		s.mu.Lock()
		s.batches = append(s.batches, cp.Events-s.events)
		s.events = cp.Events
		s.mu.Unlock()
		if cp.Events == s.holdAt {
			close(s.held)
			<-s.release
		}
	}
	return s.Store.Commit(ctx, ns, ws, cp)
}

// TestBusyRunnerLingers: events that arrive while a live runner commits
// make it busy; it then waits up to Linger for more, so two events queued
// during a commit and one more a little later go into one commit, with
// the checkpoint, instead of two.
func TestBusyRunnerLingers(t *testing.T) {
	t.Parallel()
	src := projectionstest.NewMemorySource()
	store := &heldStore{Store: openStore(t), holdAt: 1, held: make(chan struct{}), release: make(chan struct{})}
	reached := make(chan projections.Checkpoint, 16)
	r := &projections.Runner{Source: src, Store: store, Subscriber: tallySub(nil), Namespace: "tally~1", BatchSize: 100,
		Linger: time.Second, MaxBackoff: 20 * time.Millisecond,
		OnCommit: func(cp projections.Checkpoint) { reached <- cp }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	src.Append("t-1", "Ticked", []byte(`{}`)) // alone: committed at once, and held there
	<-store.held
	src.Append("t-1", "Ticked", []byte(`{}`)) // these two wait during the held commit
	src.Append("t-2", "Ticked", []byte(`{}`))
	time.Sleep(50 * time.Millisecond) // let them reach the runner's queue
	close(store.release)
	time.Sleep(100 * time.Millisecond) // the runner, busy, lingers for more
	last := src.Append("t-3", "Ticked", []byte(`{}`))
	timeout := time.After(10 * time.Second)
	for reachedLast := false; !reachedLast; {
		select {
		case cp := <-reached:
			reachedLast = !cp.Position.Less(last.Position)
		case <-timeout:
			t.Fatal("runner did not reach the last event")
		}
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.batches) != 2 || store.batches[0] != 1 || store.batches[1] != 3 {
		t.Fatalf("events per commit %v, want [1 3]: the lone event at once, then the busy runner's three together", store.batches)
	}
}

package projectionstest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// Started is a Runner running for a test, and the means to wait for it.
type Started struct {
	R    *projections.Runner
	mu   sync.Mutex
	cp   projections.Checkpoint
	tick chan struct{}
	// Stop ends the runner and waits for it; the test's cleanup calls it too.
	Stop func()
}

// Start runs sub on src into store, in namespace sub.Name+"~1", committing
// at most batch events at a time, until Stop or the end of the test.
func Start(t *testing.T, src projections.Source, store projections.Store, sub projections.Subscriber, batch int) *Started {
	t.Helper()
	s := &Started{tick: make(chan struct{}, 1)}
	s.R = &projections.Runner{Source: src, Store: store, Subscriber: sub, Namespace: sub.Name + "~1", BatchSize: batch,
		MaxBackoff: 20 * time.Millisecond,
		OnCommit: func(cp projections.Checkpoint) {
			s.mu.Lock()
			s.cp = cp
			s.mu.Unlock()
			select {
			case s.tick <- struct{}{}:
			default:
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.R.Run(ctx)
	}()
	s.Stop = func() { cancel(); <-done }
	t.Cleanup(s.Stop)
	return s
}

// WaitFor blocks until the runner has committed up to p; it fails the test
// after 10s.
func (s *Started) WaitFor(t *testing.T, p projections.Position) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		reached := !s.cp.Position.Less(p)
		s.mu.Unlock()
		if reached {
			return
		}
		select {
		case <-s.tick:
		case <-timeout:
			t.Fatalf("runner did not reach %v; status %+v", p, s.R.Status())
		}
	}
}

package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// Clock is a settable clock for the lease tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at a fixed instant.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// RunLeases runs the lease and fencing contract against stores made by
// newStore, one per subtest, whose leases read the clock now.
func RunLeases(t *testing.T, newStore func(t *testing.T, now func() time.Time) projections.LeaseStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s projections.LeaseStore, c *Clock)
	}{
		{"OneHolderAtATime", testOneHolder},
		{"RenewKeepsExpiryFrees", testRenewAndExpiry},
		{"ReleaseHandsOver", testRelease},
		{"PausedHolderCannotCommit", testPausedHolder},
		{"FenceBeforeFirstCommit", testFenceBeforeCommit},
		{"FenceOnACopy", testFenceOnCopy},
		{"UnfencedCommitsStillWork", testUnfenced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClock()
			tt.fn(t, newStore(t, c.Now), c)
		})
	}
}

const ttl = 10 * time.Second

func acquire(t *testing.T, s projections.Leases, name, holder string) projections.Lease {
	t.Helper()
	l, err := s.Acquire(context.Background(), name, holder, ttl)
	if err != nil {
		t.Fatalf("Acquire(%s, %s): %v", name, holder, err)
	}
	if l.Holder != holder || l.Name != name || l.Token == 0 {
		t.Fatalf("Acquire(%s, %s) = %+v", name, holder, l)
	}
	return l
}

func refused(t *testing.T, s projections.Leases, name, holder, want string) {
	t.Helper()
	l, err := s.Acquire(context.Background(), name, holder, ttl)
	if !errors.Is(err, projections.ErrLeaseHeld) {
		t.Fatalf("Acquire(%s, %s) = %+v, %v; want ErrLeaseHeld", name, holder, l, err)
	}
	if l.Holder != want {
		t.Errorf("Acquire(%s, %s) names holder %q, want %q", name, holder, l.Holder, want)
	}
}

func testOneHolder(t *testing.T, s projections.LeaseStore, c *Clock) {
	a := acquire(t, s, "lookup", "a")
	refused(t, s, "lookup", "b", "a")
	other := acquire(t, s, "ledger", "b") // leases are separate
	if other.Holder != "b" {
		t.Fatalf("ledger = %+v", other)
	}
	again := acquire(t, s, "lookup", "a") // its own holder may take it again
	if again.Token <= a.Token {
		t.Errorf("re-acquired token %d, want above %d", again.Token, a.Token)
	}
}

func testRenewAndExpiry(t *testing.T, s projections.LeaseStore, c *Clock) {
	ctx := context.Background()
	a := acquire(t, s, "lookup", "a")
	c.Add(ttl - time.Second)
	a, err := s.Renew(ctx, a, ttl)
	if err != nil {
		t.Fatalf("Renew: %v", err)
	}
	c.Add(ttl - time.Second) // past the first expiry, within the renewed one
	refused(t, s, "lookup", "b", "a")
	c.Add(2 * time.Second)
	b := acquire(t, s, "lookup", "b")
	if b.Token <= a.Token {
		t.Errorf("the new holder's token %d is not above the old one's %d", b.Token, a.Token)
	}
	if _, err := s.Renew(ctx, a, ttl); !errors.Is(err, projections.ErrLeaseLost) {
		t.Errorf("Renew by the expired holder = %v, want ErrLeaseLost", err)
	}
	if err := s.Release(ctx, a); !errors.Is(err, projections.ErrLeaseLost) {
		t.Errorf("Release by the expired holder = %v, want ErrLeaseLost", err)
	}
	refused(t, s, "lookup", "a", "b") // the old holder's release freed nothing
}

func testRelease(t *testing.T, s projections.LeaseStore, c *Clock) {
	a := acquire(t, s, "notice", "a")
	if err := s.Release(context.Background(), a); err != nil {
		t.Fatalf("Release: %v", err)
	}
	b := acquire(t, s, "notice", "b") // at once, without waiting for the TTL
	if b.Token <= a.Token {
		t.Errorf("token after release %d, want above %d", b.Token, a.Token)
	}
}

// testPausedHolder: holder a commits under its lease, then stalls (a GC
// pause, a frozen VM) past the TTL; b takes the lease, fences the
// namespace and commits; a wakes and commits what it had: refused, and
// nothing of it is written.
func testPausedHolder(t *testing.T, s projections.LeaseStore, c *Clock) {
	ctx := context.Background()
	const ns = "notice"
	a := acquire(t, s, ns, "a")
	if err := s.Fence(ctx, ns, a.Token); err != nil {
		t.Fatal(err)
	}
	commit(t, s, ns, &projections.Checkpoint{Position: pos(10), Fence: a.Token},
		projections.Write{Coll: "things", Doc: doc("x", 10, `{"by":"a"}`, nil)})

	c.Add(ttl + time.Second) // a is paused
	b := acquire(t, s, ns, "b")
	if err := s.Fence(ctx, ns, b.Token); err != nil {
		t.Fatal(err)
	}
	commit(t, s, ns, &projections.Checkpoint{Position: pos(20), Fence: b.Token},
		projections.Write{Coll: "things", Doc: doc("y", 20, `{"by":"b"}`, nil)})

	err := s.Commit(ctx, ns, []projections.Write{
		{Coll: "things", Doc: doc("x", 15, `{"by":"a, late"}`, nil)},
		{Coll: "things", Doc: doc("z", 15, `{"by":"a, late"}`, nil)},
	}, &projections.Checkpoint{Position: pos(15), Fence: a.Token})
	if !errors.Is(err, projections.ErrFenced) {
		t.Fatalf("the paused holder's commit = %v, want ErrFenced", err)
	}
	cp, ok, err := s.Checkpoint(ctx, ns)
	if err != nil || !ok || cp.Position != pos(20) || cp.Fence != b.Token {
		t.Errorf("checkpoint = %+v, %v, %v; want b's, at 20 with fence %d", cp, ok, err, b.Token)
	}
	sameJSON(t, mustGet(t, s, ns, "things", "x").Body, `{"by":"a"}`)
	if _, ok, _ := s.Get(ctx, ns, "things", "z"); ok {
		t.Error("the refused commit wrote a document")
	}
}

// testFenceBeforeCommit: the new holder has fenced the namespace but not
// committed yet; the old one's commit is refused all the same, so it
// cannot move the checkpoint under the new holder, which read it after
// fencing.
func testFenceBeforeCommit(t *testing.T, s projections.LeaseStore, c *Clock) {
	ctx := context.Background()
	const ns = "lookup~1"
	a := acquire(t, s, "lookup", "a")
	c.Add(ttl + time.Second)
	b := acquire(t, s, "lookup", "b")
	if err := s.Fence(ctx, ns, b.Token); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Checkpoint(ctx, ns); err != nil || ok {
		t.Errorf("a fence alone reads as a checkpoint: ok %v, err %v", ok, err)
	}
	err := s.Commit(ctx, ns, nil, &projections.Checkpoint{Position: pos(5), Fence: a.Token})
	if !errors.Is(err, projections.ErrFenced) {
		t.Fatalf("old holder's commit after the new one fenced = %v, want ErrFenced", err)
	}
	// Fences only grow: a stale Fence call does not lower it.
	if err := s.Fence(ctx, ns, a.Token); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, ns, nil, &projections.Checkpoint{Position: pos(5), Fence: a.Token}); !errors.Is(err, projections.ErrFenced) {
		t.Fatalf("commit after a stale Fence call = %v, want ErrFenced", err)
	}
	commit(t, s, ns, &projections.Checkpoint{Position: pos(6), Fence: b.Token})
}

func testFenceOnCopy(t *testing.T, s projections.LeaseStore, c *Clock) {
	ctx := context.Background()
	// A copy being switched to: both copies of one projection are fenced.
	for _, ns := range []string{"ledger~1", "ledger~2"} {
		if err := s.Fence(ctx, ns, 7); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, ns, nil, &projections.Checkpoint{Position: pos(1), Fence: 6}); !errors.Is(err, projections.ErrFenced) {
			t.Errorf("%s: commit with fence 6 under 7 = %v, want ErrFenced", ns, err)
		}
		commit(t, s, ns, &projections.Checkpoint{Position: pos(2), Fence: 7})
		commit(t, s, ns, &projections.Checkpoint{Position: pos(3), Fence: 8}) // a newer holder that did not call Fence
		if err := s.Commit(ctx, ns, nil, &projections.Checkpoint{Position: pos(4), Fence: 7}); !errors.Is(err, projections.ErrFenced) {
			t.Errorf("%s: commit with fence 7 after one with 8 = %v, want ErrFenced", ns, err)
		}
	}
}

// testUnfenced: commits without a fence (a rebuild, a replay of parked
// events, a lone process) are not checked.
func testUnfenced(t *testing.T, s projections.LeaseStore, c *Clock) {
	ctx := context.Background()
	if err := s.Fence(ctx, "ns1", 3); err != nil {
		t.Fatal(err)
	}
	commit(t, s, "ns1", &projections.Checkpoint{Position: pos(1)}, projections.Write{Coll: "things", Doc: doc("a", 1, `{}`, nil)})
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: doc("a", 2, `{"v":2}`, nil)})
	sameJSON(t, mustGet(t, s, "ns1", "things", "a").Body, `{"v":2}`)
	cp, ok, err := s.Checkpoint(ctx, "ns1")
	if err != nil || !ok || cp.Position != pos(1) || cp.Fence != 3 {
		t.Errorf("checkpoint = %+v, %v, %v; want at 1, fence still 3", cp, ok, err)
	}
}

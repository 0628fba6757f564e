package projections_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

// tally is a test read model: per stream, how many events and which.
type tally struct {
	Stream string   `json:"stream"`
	Count  int      `json:"count"`
	IDs    []string `json:"ids"`
}

func (t *tally) IndexKeys() map[string]string { return map[string]string{"stream": t.Stream} }

func tallySub(fail func(projections.Event) error) projections.Subscriber {
	return projections.Subscriber{
		Name:    "tally",
		Filter:  projections.Filter{StreamPrefixes: []string{"t-"}},
		Indexes: map[string][]string{"tallies": {"stream"}},
		Handle: func(ctx context.Context, tx *projections.Tx, ev projections.Event) error {
			if fail != nil {
				if err := fail(ev); err != nil {
					return err
				}
			}
			return projections.Fold(tx, "tallies", ev.Stream, ev, func(d *tally, _ bool) error {
				d.Stream = ev.Stream
				d.Count++
				d.IDs = append(d.IDs, ev.ID)
				return nil
			})
		},
	}
}

func openStore(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendMany(src *projectionstest.MemorySource, n int) projections.Event {
	var last projections.Event
	for i := 0; i < n; i++ {
		last = src.Append(fmt.Sprintf("t-%d", i%7), "Ticked", []byte(`{}`))
		if i%5 == 0 {
			src.Append("other-1", "Ignored", []byte(`{}`))
		}
	}
	return last
}

func snapshot(t *testing.T, store projections.Store, ns string) map[string]tally {
	t.Helper()
	out := map[string]tally{}
	for i := 0; i < 7; i++ {
		id := fmt.Sprintf("t-%d", i)
		docs, err := store.Find(context.Background(), ns, "tallies", "stream", id, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			var v tally
			if err := jsonUnmarshal(d.Body, &v); err != nil {
				t.Fatal(err)
			}
			out[id] = v
		}
	}
	return out
}

func TestRunnerCatchUpThenLive(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	last := appendMany(src, 100)
	r := projectionstest.Start(t, src, store, tallySub(nil), 16)
	r.WaitFor(t, last.Position)
	last = appendMany(src, 10)
	r.WaitFor(t, last.Position)
	got := snapshot(t, store, "tally~1")
	total := 0
	for _, v := range got {
		total += v.Count
		if len(v.IDs) != v.Count {
			t.Errorf("%s: %d ids for count %d", v.Stream, len(v.IDs), v.Count)
		}
	}
	if total != 110 {
		t.Errorf("folded %d events, want 110", total)
	}
	if st := r.R.Status(); !st.Live || st.Checkpoint.Events != 110 {
		t.Errorf("status %+v, want live after 110 events", st)
	}
}

func TestRedeliveryChangesNothing(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	last := appendMany(src, 60)
	r := projectionstest.Start(t, src, store, tallySub(nil), 8)
	r.WaitFor(t, last.Position)
	r.Stop()
	want := snapshot(t, store, "tally~1")

	// Forget the checkpoint: every event is delivered a second time.
	if err := store.Commit(context.Background(), "tally~1", nil, &projections.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	r2 := projectionstest.Start(t, src, store, tallySub(nil), 5)
	r2.WaitFor(t, last.Position)
	if diff := cmp.Diff(want, snapshot(t, store, "tally~1")); diff != "" {
		t.Errorf("read model changed by redelivery (-want +got):\n%s", diff)
	}
}

func TestRestartMidCatchUpMatchesCleanBuild(t *testing.T) {
	t.Parallel()
	src := projectionstest.NewMemorySource()
	last := appendMany(src, 200)

	clean := openStore(t)
	c := projectionstest.Start(t, src, clean, tallySub(nil), 1000)
	c.WaitFor(t, last.Position)
	want := snapshot(t, clean, "tally~1")

	store := openStore(t)
	r := projectionstest.Start(t, src, store, tallySub(nil), 7)
	r.WaitFor(t, src.Events()[50].Position) // somewhere in the middle
	r.Stop()
	r2 := projectionstest.Start(t, src, store, tallySub(nil), 7)
	r2.WaitFor(t, last.Position)
	if diff := cmp.Diff(want, snapshot(t, store, "tally~1")); diff != "" {
		t.Errorf("restarted build differs from a clean one (-want +got):\n%s", diff)
	}
}

func TestDroppedSubscriptionResumes(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	last := appendMany(src, 20)
	r := projectionstest.Start(t, src, store, tallySub(nil), 4)
	r.WaitFor(t, last.Position)
	src.Drop()
	last = appendMany(src, 20)
	r.WaitFor(t, last.Position)
	total := 0
	for _, v := range snapshot(t, store, "tally~1") {
		total += v.Count
	}
	if total != 40 {
		t.Errorf("folded %d events, want 40 (nothing lost or doubled)", total)
	}
	if st := r.R.Status(); st.Drops < 1 || st.LastError == "" {
		t.Errorf("status %+v, want the drop counted and its error kept", st)
	}
}

var errPoison = errors.New("poison")

func TestPoisonEventIsParkedAndReplayed(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	src.Append("t-0", "Ticked", nil)
	bad := src.AppendWithID("bad-event", "t-1", "Ticked", nil)
	src.Append("t-1", "Ticked", nil)
	last := src.Append("t-2", "Ticked", nil)

	var mu sync.Mutex
	healed := false
	calls := 0
	fail := func(ev projections.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if ev.ID == bad.ID {
			calls++
			if !healed {
				return errPoison
			}
		}
		return nil
	}
	r := projectionstest.Start(t, src, store, tallySub(fail), 100)
	r.WaitFor(t, last.Position)
	parked, err := store.ParkedEvents(context.Background(), "tally")
	if err != nil || len(parked) != 1 || parked[0].Event.ID != bad.ID || parked[0].Attempts != 3 {
		t.Fatalf("parked = %+v, %v; want the bad event after 3 attempts", parked, err)
	}
	if calls != 3 {
		t.Errorf("handler saw the bad event %d times, want 3 (bounded)", calls)
	}
	got := snapshot(t, store, "tally~1")
	if got["t-1"].Count != 1 || got["t-0"].Count != 1 || got["t-2"].Count != 1 {
		t.Errorf("after parking: %+v, want one event in each tally", got)
	}

	mu.Lock()
	healed = true
	mu.Unlock()
	n, err := projections.ReplayParked(context.Background(), store, tallySub(fail), "tally~1", time.Now)
	if err != nil || n != 1 {
		t.Fatalf("ReplayParked = %d, %v; want 1", n, err)
	}
	if left, _ := store.ParkedEvents(context.Background(), "tally"); len(left) != 0 {
		t.Errorf("still parked after replay: %+v", left)
	}
	if got := snapshot(t, store, "tally~1"); got["t-1"].Count != 2 {
		t.Errorf("t-1 after replay: %+v, want 2 events", got["t-1"])
	}
}

// flakyStore fails every read until healed, like a read store that is
// briefly unreachable.
type flakyStore struct {
	projections.Store
	mu     sync.Mutex
	fails  int
	healed bool
}

var errUnreachable = errors.New("read store unreachable")

func (s *flakyStore) Get(ctx context.Context, ns, coll, id string) (projections.Doc, bool, error) {
	s.mu.Lock()
	if !s.healed {
		s.fails++
		if s.fails >= 10 {
			s.healed = true
		}
		s.mu.Unlock()
		return projections.Doc{}, false, errUnreachable
	}
	s.mu.Unlock()
	return s.Store.Get(ctx, ns, coll, id)
}

func TestUnreachableStoreParksNothing(t *testing.T) {
	t.Parallel()
	src, inner := projectionstest.NewMemorySource(), openStore(t)
	last := appendMany(src, 20)
	store := &flakyStore{Store: inner}
	r := projectionstest.Start(t, src, store, tallySub(nil), 4)
	r.WaitFor(t, last.Position)
	if parked, err := inner.ParkedEvents(context.Background(), "tally"); err != nil || len(parked) != 0 {
		t.Fatalf("parked = %+v, %v; want nothing parked for a store failure", parked, err)
	}
	total := 0
	for _, v := range snapshot(t, inner, "tally~1") {
		total += v.Count
	}
	if total != 20 {
		t.Errorf("folded %d events, want 20", total)
	}
	if st := r.R.Status(); st.Drops < 1 || st.Parked != 0 {
		t.Errorf("status %+v, want the store failure counted as a drop, nothing parked", st)
	}
}

func TestReplayParkedStopsWhenTheStoreCannotBeRead(t *testing.T) {
	t.Parallel()
	src, inner := projectionstest.NewMemorySource(), openStore(t)
	ev := src.Append("t-0", "Ticked", nil)
	p := projections.Parked{Subscriber: "tally", Event: ev, Error: "poison", Attempts: 3, ParkedAt: time.Now().UTC()}
	if err := inner.Park(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	store := &flakyStore{Store: inner}
	if n, err := projections.ReplayParked(context.Background(), store, tallySub(nil), "tally~1", time.Now); !errors.Is(err, errUnreachable) || n != 0 {
		t.Errorf("ReplayParked = %d, %v; want 0 and the store's error", n, err)
	}
	left, err := inner.ParkedEvents(context.Background(), "tally")
	if err != nil || len(left) != 1 || left[0].Attempts != 3 || left[0].Error != "poison" {
		t.Errorf("parked after a failed replay: %+v, %v; want it as it was", left, err)
	}
}

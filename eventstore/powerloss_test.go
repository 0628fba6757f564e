package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// acked is an append the store acknowledged.
type acked struct {
	stream   string
	revision uint64 // of its last event
	position uint64 // commit position of its last event
	ids      []uuid.UUID
}

// powerLossPoints is how many power cuts TestPowerLoss takes; the long
// mode (CLINIC_LONG_TESTS, set by .ci/run) takes more.
func powerLossPoints() int {
	if n, err := strconv.Atoi(os.Getenv("CLINIC_LONG_TESTS")); err == nil && n > 0 {
		return 60
	}
	return 16
}

// TestPowerLoss cuts the power under 8 concurrent appenders, many times:
// each cut is a crash clone of Pebble's in-memory filesystem (every write
// not yet synced is dropped, or, at half the cuts, a random part of it is
// kept, as a disk that wrote some of its cache would), taken while the
// store runs, at a random moment 20-220 ms into a fresh store's load. The store then opens on the clone and every append
// acknowledged before the cut is there, at its stream revision and $all
// position, once; $all positions only grow; each stream's revisions run
// from 0 without a gap; and the store takes a new append after it.
func TestPowerLoss(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(42, 7))
	points, checked, appends := powerLossPoints(), 0, 0
	for cut := range points {
		cfg := vfs.CrashCloneCfg{}
		if cut%2 == 1 {
			cfg = vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rand.New(rand.NewPCG(uint64(cut), 1))}
		}
		clone, before, n := cutUnderLoad(t, cfg, time.Duration(20+rng.IntN(200))*time.Millisecond)
		appends += n
		checked += checkAfterPowerLoss(t, clone, "/events", before)
		if t.Failed() {
			return
		}
	}
	t.Logf("%d power cuts under %d acknowledged appends: %d acknowledged events found in place after the cuts", points, appends, checked)
}

// cutUnderLoad runs a store on a crashable in-memory filesystem under 8
// appenders, and after the given time takes a crash clone of it while the
// appends go on. It returns the clone, the appends acknowledged before it
// and how many appends were acknowledged in all.
func cutUnderLoad(t *testing.T, cfg vfs.CrashCloneCfg, after time.Duration) (vfs.FS, []acked, int) {
	t.Helper()
	ctx := context.Background()
	mem := vfs.NewCrashableMem()
	srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: "/events", FS: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := esdbtest.Connect(t, srv.URL())
	var mu sync.Mutex
	var acks []acked
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(after)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				stream := fmt.Sprintf("power-%d-%d", w, r.IntN(6))
				evs := events(1+r.IntN(4), "Powered")
				res, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, evs...)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				a := acked{stream: stream, revision: res.NextExpectedVersion, position: res.CommitPosition}
				for _, e := range evs {
					a.ids = append(a.ids, e.EventID)
				}
				mu.Lock()
				acks = append(acks, a)
				mu.Unlock()
			}
		})
	}
	time.Sleep(after)
	mu.Lock()
	before := append([]acked(nil), acks...) // all synced before the clone begins
	mu.Unlock()
	clone := mem.CrashClone(cfg)
	time.Sleep(10 * time.Millisecond) // the appends go on past the cut
	close(stop)
	wg.Wait()
	return clone, before, len(acks)
}

// checkAfterPowerLoss opens the store on the crashed filesystem fs and
// checks it against the appends acknowledged before the crash. It returns
// how many acknowledged events it found.
func checkAfterPowerLoss(t *testing.T, fs vfs.FS, dir string, before []acked) int {
	t.Helper()
	ctx := context.Background()
	srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir, FS: fs})
	if err != nil {
		t.Errorf("open after power loss: %v", err)
		return 0
	}
	defer srv.Close()
	c := esdbtest.Connect(t, srv.URL())
	type place struct {
		stream   string
		revision uint64
		position uint64
	}
	got := map[uuid.UUID]place{}
	next := map[string]uint64{} // each stream's next revision in $all order
	var last uint64
	rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{From: esdb.Start{}}, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read $all after power loss: %v", err)
		}
		e := ev.Event
		if e.Position.Commit <= last {
			t.Fatalf("$all goes back from %d to %d", last, e.Position.Commit)
		}
		last = e.Position.Commit
		if _, dup := got[e.EventID]; dup {
			t.Fatalf("event %s twice in $all", e.EventID)
		}
		if e.StreamID[0] != '$' {
			if e.EventNumber != next[e.StreamID] {
				t.Fatalf("%s: revision %d after %d events", e.StreamID, e.EventNumber, next[e.StreamID])
			}
			next[e.StreamID]++
		}
		got[e.EventID] = place{e.StreamID, e.EventNumber, e.Position.Commit}
	}
	n := 0
	for _, a := range before {
		for i, id := range a.ids {
			want := place{a.stream, a.revision - uint64(len(a.ids)-1-i), 0}
			p, ok := got[id]
			if !ok || p.stream != want.stream || p.revision != want.revision {
				t.Fatalf("acknowledged event %s (%s@%d) after power loss: %+v, found %v", id, want.stream, want.revision, p, ok)
			}
			n++
		}
		if p := got[a.ids[len(a.ids)-1]]; p.position != a.position {
			t.Fatalf("acknowledged append to %s at position %d is at %d after power loss", a.stream, a.position, p.position)
		}
	}
	if _, err := c.AppendToStream(ctx, "after-power-loss", esdb.AppendToStreamOptions{}, events(1, "Resumed")...); err != nil {
		t.Fatalf("append after power loss: %v", err)
	}
	return n
}

package conformance

import (
	"context"
	"sync"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// appendInBackground appends batches of per events to stream with exact
// expected revisions, from revision next on, while the test goes on reading.
// The returned wait reports the first error.
func appendInBackground(t testing.TB, ctx context.Context, c *esdb.Client, stream string, next uint64, batches [][]esdb.EventData) (wait func()) {
	var wg sync.WaitGroup
	var err error
	wg.Go(func() {
		for _, b := range batches {
			exp := esdb.ExpectedRevision(esdb.Revision(next - 1))
			if next == 0 {
				exp = esdb.NoStream{}
			}
			if _, err = c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: exp}, b...); err != nil {
				return
			}
			next += uint64(len(b))
		}
	})
	return func() {
		t.Helper()
		wg.Wait()
		if err != nil {
			t.Fatalf("background append to %s: %v", stream, err)
		}
	}
}

// split cuts evs into batches of n.
func split(evs []esdb.EventData, n int) [][]esdb.EventData {
	var out [][]esdb.EventData
	for len(evs) > 0 {
		k := min(n, len(evs))
		out = append(out, evs[:k])
		evs = evs[k:]
	}
	return out
}

func TestSubscribeToStream(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)

	// The subscription catches up on 1,000 stored events while 500 more are
	// appended; it must deliver all 1,500 in order, and nothing twice: the
	// next event after them is the sentinel appended last.
	t.Run("catch-up then live", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-substream")
		evs := newEvents("Sub", 0, 1500)
		for i, b := range split(evs[:1000], 50) {
			exp := esdb.ExpectedRevision(esdb.Revision(uint64(i*50 - 1)))
			if i == 0 {
				exp = esdb.NoStream{}
			}
			mustAppend(t, ctx, c, s, exp, b...)
		}
		f := subscribeStream(t, ctx, c, s, esdb.Start{})
		wait := appendInBackground(t, ctx, c, s, 1000, split(evs[1000:], 5))
		got := f.take(1500, nil)
		wait()
		checkSame(t, got.events, s, 0, evs)

		sentinel := newEvent("Sentinel", 1500)
		mustAppend(t, ctx, c, s, esdb.Revision(1499), sentinel)
		checkSame(t, f.take(1, nil).events, s, 1500, []esdb.EventData{sentinel})
	})
	t.Run("from start before the stream exists", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-substream")
		f := subscribeStream(t, ctx, c, s, esdb.Start{})
		evs := newEvents("Sub", 0, 3)
		mustAppend(t, ctx, c, s, esdb.NoStream{}, evs...)
		checkSame(t, f.take(3, nil).events, s, 0, evs)
	})
	t.Run("from end", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-substream")
		mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("Old", 0, 5)...)
		f := subscribeStream(t, ctx, c, s, esdb.End{})
		evs := newEvents("New", 5, 3)
		mustAppend(t, ctx, c, s, esdb.Revision(4), evs...)
		checkSame(t, f.take(3, nil).events, s, 5, evs)
	})
	t.Run("from a revision is exclusive", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-substream")
		evs := newEvents("Sub", 0, 11)
		mustAppend(t, ctx, c, s, esdb.NoStream{}, evs[:10]...)
		f := subscribeStream(t, ctx, c, s, esdb.Revision(4))
		checkSame(t, f.take(5, nil).events, s, 5, evs[5:10])
		mustAppend(t, ctx, c, s, esdb.Revision(9), evs[10])
		checkSame(t, f.take(1, nil).events, s, 10, evs[10:])
	})
}

func TestSubscribeToAll(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)

	// Three streams under one prefix; a single writer, so $all order is
	// append order. Half is stored before subscribing, half is appended while
	// the subscription catches up.
	t.Run("catch-up then live, filtered", func(t *testing.T) {
		t.Parallel()
		p := newID("conf-suball") + "-"
		streams := []string{p + "a", p + "b", p + "c"}
		from := marker(t, ctx, c)
		type rec struct {
			stream string
			rev    uint64
			ev     esdb.EventData
		}
		var want []rec
		revs := map[string]uint64{}
		appendRound := func(i int) error {
			s := streams[i%3]
			ev := newEvent("AllSub", i)
			res, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, ev)
			if err != nil {
				return err
			}
			revs[s] = res.NextExpectedVersion
			want = append(want, rec{s, res.NextExpectedVersion, ev})
			return nil
		}
		for i := range 150 {
			if err := appendRound(i); err != nil {
				t.Fatal(err)
			}
		}
		f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: from, Filter: streamPrefix(p)})
		var wg sync.WaitGroup
		var werr error
		wg.Go(func() {
			for i := 150; i < 300 && werr == nil; i++ {
				werr = appendRound(i)
			}
		})
		got := f.take(300, nil)
		wg.Wait()
		if werr != nil {
			t.Fatalf("background append: %v", werr)
		}
		if len(want) != 300 {
			t.Fatalf("appended %d events, want 300", len(want))
		}
		for i, ev := range got.events {
			w := want[i]
			if ev.StreamID != w.stream || ev.EventNumber != w.rev || ev.EventID != w.ev.EventID {
				t.Fatalf("event %d: got %s@%d %s, want %s@%d %s", i, ev.StreamID, ev.EventNumber, ev.EventID, w.stream, w.rev, w.ev.EventID)
			}
			prev := from
			if i > 0 {
				prev = got.events[i-1].Position
			}
			if comparePositions(ev.Position, prev) <= 0 {
				t.Fatalf("event %d at %+v, not after %+v", i, ev.Position, prev)
			}
		}
		sentinel := newEvent("Sentinel", 300)
		mustAppend(t, ctx, c, streams[0], esdb.Revision(revs[streams[0]]), sentinel)
		if ev := f.take(1, nil).events[0]; ev.EventID != sentinel.EventID {
			t.Fatalf("after the 300 events got %s@%d %s, want the sentinel", ev.StreamID, ev.EventNumber, ev.EventID)
		}
	})

	// Unfiltered, other tests' events arrive too; this test's are picked out.
	t.Run("from a position is exclusive, unfiltered", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-suball")
		evs := newEvents("AllSub", 0, 6)
		var positions []esdb.Position
		for i, ev := range evs[:5] {
			exp := esdb.ExpectedRevision(esdb.Revision(uint64(i - 1)))
			if i == 0 {
				exp = esdb.NoStream{}
			}
			res := mustAppend(t, ctx, c, s, exp, ev)
			positions = append(positions, esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition})
		}
		f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: positions[1]})
		first := f.next()
		for first.EventAppeared == nil {
			first = f.next()
		}
		if pos := first.EventAppeared.OriginalEvent().Position; comparePositions(pos, positions[1]) <= 0 {
			t.Fatalf("first event at %+v, want after the subscription's start %+v", pos, positions[1])
		}
		got := []*esdb.RecordedEvent{}
		if ev := first.EventAppeared.OriginalEvent(); ev.StreamID == s {
			got = append(got, ev)
		}
		got = append(got, f.take(3-len(got), ofStreams(s)).events...)
		checkSame(t, got, s, 2, evs[2:5])
		mustAppend(t, ctx, c, s, esdb.Revision(4), evs[5])
		checkSame(t, f.take(1, ofStreams(s)).events, s, 5, evs[5:])
	})

	t.Run("from end", func(t *testing.T) {
		t.Parallel()
		p := newID("conf-suball") + "-"
		mustAppend(t, ctx, c, p+"x", esdb.NoStream{}, newEvents("Old", 0, 3)...)
		f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.End{}, Filter: streamPrefix(p)})
		evs := newEvents("New", 3, 3)
		mustAppend(t, ctx, c, p+"x", esdb.Revision(2), evs...)
		checkSame(t, f.take(3, nil).events, p+"x", 3, evs)
	})

	t.Run("from start", func(t *testing.T) {
		t.Parallel()
		p := newID("conf-suball") + "-"
		evs := newEvents("Start", 0, 4)
		mustAppend(t, ctx, c, p+"x", esdb.NoStream{}, evs...)
		f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: streamPrefix(p)})
		checkSame(t, f.take(4, nil).events, p+"x", 0, evs)
	})
}

// TestSubscribeCaughtUp: the subscription says when it has delivered every
// stored event and switches to live ones.
func TestSubscribeCaughtUp(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	if !expectCaughtUp(t, c) {
		t.Skip("EventStoreDB sends caught-up from version 23")
	}
	untilCaughtUp := func(t *testing.T, f *feed, keep func(*esdb.RecordedEvent) bool) int {
		t.Helper()
		n := 0
		for {
			m := f.next()
			switch {
			case m.SubscriptionDropped != nil:
				t.Fatalf("dropped before caught-up: %v", m.SubscriptionDropped.Error)
			case m.CaughtUp != nil:
				return n
			case m.EventAppeared != nil && (keep == nil || keep(m.EventAppeared.OriginalEvent())):
				n++
			}
		}
	}
	t.Run("stream", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-caughtup")
		mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("E", 0, 50)...)
		f := subscribeStream(t, ctx, c, s, esdb.Start{})
		if n := untilCaughtUp(t, f, nil); n != 50 {
			t.Fatalf("caught up after %d events, want 50", n)
		}
		ev := newEvent("Live", 50)
		mustAppend(t, ctx, c, s, esdb.Revision(49), ev)
		checkSame(t, f.take(1, nil).events, s, 50, []esdb.EventData{ev})
	})
	t.Run("all", func(t *testing.T) {
		t.Parallel()
		p := newID("conf-caughtup") + "-"
		from := marker(t, ctx, c)
		mustAppend(t, ctx, c, p+"x", esdb.NoStream{}, newEvents("E", 0, 50)...)
		f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: from, Filter: streamPrefix(p)})
		if n := untilCaughtUp(t, f, nil); n != 50 {
			t.Fatalf("caught up after %d events, want 50", n)
		}
		ev := newEvent("Live", 50)
		mustAppend(t, ctx, c, p+"x", esdb.Revision(49), ev)
		checkSame(t, f.take(1, nil).events, p+"x", 50, []esdb.EventData{ev})
	})
	t.Run("empty stream", func(t *testing.T) {
		t.Parallel()
		f := subscribeStream(t, ctx, c, newID("conf-caughtup"), esdb.Start{})
		if n := untilCaughtUp(t, f, nil); n != 0 {
			t.Fatalf("caught up after %d events, want 0", n)
		}
	})
}

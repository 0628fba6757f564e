package conformance

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
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

// TestSubscribeFilters checks the three server-side filters of $all
// subscriptions: prefixes of stream names, prefixes of event types, and
// regular expressions on either.
func TestSubscribeFilters(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	p := newID("conf-filter") + "-"
	tp := newID("T") + "-"
	from := marker(t, ctx, c)

	type rec struct{ stream, typ string }
	var all []rec
	var ids []esdb.EventData
	plan := []rec{
		{p + "keep-1", tp + "Wanted"}, {p + "keep-2", tp + "Other"}, {p + "drop-1", tp + "Wanted"},
		{p + "keep-1", tp + "Other"}, {p + "drop-1", tp + "Other"}, {p + "keep-2", tp + "Wanted"},
		{p + "keepsake", tp + "WantedToo"}, {p + "drop-2", tp + "Other"},
	}
	for i, r := range plan {
		ev := newEvent(r.typ, i)
		mustAppend(t, ctx, c, r.stream, esdb.Any{}, ev)
		all = append(all, r)
		ids = append(ids, ev)
	}
	q := regexp.QuoteMeta
	cases := []struct {
		name   string
		filter *esdb.SubscriptionFilter
		match  func(rec) bool
	}{
		{"stream prefix", streamPrefix(p + "keep-"), func(r rec) bool { return r.stream == p+"keep-1" || r.stream == p+"keep-2" }},
		{"several stream prefixes", streamPrefix(p+"keep-1", p+"drop"), func(r rec) bool { return r.stream != p+"keep-2" && r.stream != p+"keepsake" }},
		{"event type prefix", &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: []string{tp + "Wanted"}},
			func(r rec) bool { return r.typ != tp+"Other" }},
		{"stream regex", &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Regex: "^" + q(p) + "(keep-2|drop-1)$"},
			func(r rec) bool { return r.stream == p+"keep-2" || r.stream == p+"drop-1" }},
		{"event type regex", &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Regex: "^" + q(tp) + "(Other|WantedToo)$"},
			func(r rec) bool { return r.typ == tp+"Other" || r.typ == tp+"WantedToo" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []esdb.EventData
			for i, r := range all {
				if tc.match(r) {
					want = append(want, ids[i])
				}
			}
			f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: from, Filter: tc.filter})
			got := f.take(len(want), nil)
			for i, ev := range got.events {
				if ev.EventID != want[i].EventID {
					t.Fatalf("event %d: got %s of %s type %s, want %s", i, ev.EventID, ev.StreamID, ev.EventType, want[i].EventID)
				}
			}
		})
	}
	// Nothing else slipped through: a last event that every filter above
	// accepts must come right after the expected ones.
	t.Run("nothing more", func(t *testing.T) {
		f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: from, Filter: streamPrefix(p + "keep-1")})
		first := f.take(2, nil)
		last := newEvent(tp+"Wanted", 99)
		mustAppend(t, ctx, c, p+"keep-1", esdb.Any{}, last)
		if got := f.take(1, nil).events[0]; got.EventID != last.EventID {
			t.Fatalf("after %s got %s of %s, want the last event", revisions(first.events), got.EventID, got.StreamID)
		}
	})
}

// TestSubscribeCheckpoints: a filtered subscription that skips many events
// reports checkpoints, so a client can resume without rescanning them. Each
// checkpoint lies at or after the last delivered event and before the next,
// and resuming from one (exclusively) delivers exactly the matching events
// after it.
func TestSubscribeCheckpoints(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	p := newID("conf-checkpoint") + "-"
	from := marker(t, ctx, c)
	var wanted []esdb.EventData
	for round := range 2 {
		for _, b := range split(newEvents("Noise", 0, 200), 50) {
			mustAppend(t, ctx, c, p+"noise", esdb.Any{}, b...)
		}
		ev := newEvent("Wanted", round)
		mustAppend(t, ctx, c, p+"wanted", esdb.Any{}, ev)
		wanted = append(wanted, ev)
	}
	filter := esdb.SubscribeToAllOptions{From: from, Filter: streamPrefix(p + "wanted"), MaxSearchWindow: 32, CheckpointInterval: 1}
	f := subscribeAll(t, ctx, c, filter)
	got := f.take(2, nil)
	checkSame(t, got.events, p+"wanted", 0, wanted)
	if len(got.checkpoints) == 0 || got.checkpoints[0].after != 0 {
		t.Fatalf("checkpoints %+v: want at least one before the first wanted event, after 200 skipped events", got.checkpoints)
	}
	prev := from
	for _, cp := range got.checkpoints {
		if comparePositions(cp.pos, prev) < 0 {
			t.Fatalf("checkpoint %+v goes back before %+v", cp.pos, prev)
		}
		if cp.after > 0 && comparePositions(cp.pos, got.events[cp.after-1].Position) < 0 {
			t.Fatalf("checkpoint %+v before the event delivered ahead of it at %+v", cp.pos, got.events[cp.after-1].Position)
		}
		// Resuming from a checkpoint is exclusive, so one at the next event's
		// own position would lose that event.
		if cp.after < len(got.events) && comparePositions(cp.pos, got.events[cp.after].Position) >= 0 {
			t.Fatalf("checkpoint %+v not before the event delivered next at %+v", cp.pos, got.events[cp.after].Position)
		}
		prev = cp.pos
	}

	// Resume from the last checkpoint that came before the second event.
	var resume checkpoint
	for _, cp := range got.checkpoints {
		if cp.after <= 1 {
			resume = cp
		}
	}
	filter.From = resume.pos
	g := subscribeAll(t, ctx, c, filter)
	var want []esdb.EventData
	for _, ev := range got.events {
		if comparePositions(ev.Position, resume.pos) > 0 {
			want = append(want, ev2data(ev))
		}
	}
	if len(want) == 0 {
		t.Fatalf("checkpoint %+v is after both wanted events", resume.pos)
	}
	checkSame(t, g.take(len(want), nil).events, p+"wanted", uint64(2-len(want)), want)
}

// ev2data turns a recorded event back into what was appended.
func ev2data(ev *esdb.RecordedEvent) esdb.EventData {
	return esdb.EventData{EventID: ev.EventID, EventType: ev.EventType, Data: ev.Data, Metadata: ev.UserMetadata}
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

// TestSubscribeMany runs several subscriptions at once, on two connections,
// and checks each receives the same events in the same order.
func TestSubscribeMany(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c1, c2 := newClient(t), newClient(t)
	p := newID("conf-many") + "-"
	s := p + "x"
	var feeds []*feed
	for _, c := range []*esdb.Client{c1, c2} {
		feeds = append(feeds,
			subscribeStream(t, ctx, c, s, esdb.Start{}),
			subscribeStream(t, ctx, c, s, esdb.End{}),
			subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.End{}, Filter: streamPrefix(p)}),
			subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.End{}}),
		)
	}
	evs := newEvents("Many", 0, 100)
	for i, b := range split(evs, 10) {
		exp := esdb.ExpectedRevision(esdb.Revision(uint64(i*10 - 1)))
		if i == 0 {
			exp = esdb.NoStream{}
		}
		mustAppend(t, ctx, c1, s, exp, b...)
	}
	// Read one after the other: the others' events wait in their buffers.
	for i, f := range feeds {
		got := f.take(100, ofStreams(s))
		for j, ev := range got.events {
			if ev.EventID != evs[j].EventID || ev.EventNumber != uint64(j) {
				t.Fatalf("subscription %d, event %d: got %s@%d, want revision %d id %s", i, j, ev.EventID, ev.EventNumber, j, evs[j].EventID)
			}
		}
	}
}

// TestSubscribeSystemEvents: $all carries the $metadata events of $$
// streams, and the client's ExcludeSystemEventsFilter (event types not
// starting with $) leaves them out.
func TestSubscribeSystemEvents(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-system")
	from := marker(t, ctx, c)
	ev := newEvent("Ordinary", 0)
	mustAppend(t, ctx, c, s, esdb.NoStream{}, ev)
	var m esdb.StreamMetadata
	m.SetMaxCount(5)
	if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m); err != nil {
		t.Fatalf("set metadata: %v", err)
	}
	last := newEvent("Ordinary", 1)
	mustAppend(t, ctx, c, s, esdb.Revision(0), last)

	all := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: from})
	got := all.take(3, ofStreams(s, "$$"+s)).events
	if got[0].EventID != ev.EventID || got[1].StreamID != "$$"+s || got[1].EventType != "$metadata" || got[2].EventID != last.EventID {
		t.Fatalf("unfiltered $all: got %s (%s, %s), want the event, the $metadata event of $$%s, the event", revisions(got), got[1].StreamID, got[1].EventType, s)
	}

	user := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: from, Filter: esdb.ExcludeSystemEventsFilter()})
	got = user.take(2, ofStreams(s, "$$"+s)).events
	checkSame(t, got, s, 0, []esdb.EventData{ev, last})
}

// TestSubscribeAllConcurrentWriters: with many writers, appends share group
// commits; $all subscriptions, one live from the start and one joining
// half-way (catching up while appends go on), must each deliver every event
// once, in strictly increasing position, each stream in revision order.
func TestSubscribeAllConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	p := newID("conf-concurrent") + "-"
	from := marker(t, ctx, c)
	opts := esdb.SubscribeToAllOptions{From: from, Filter: streamPrefix(p)}
	early := subscribeAll(t, ctx, c, opts)

	const writers, each = 8, 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[uuid.UUID]bool{}
	var werr error
	half := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			s := fmt.Sprintf("%s%d", p, w)
			for i := range each {
				ev := newEvent("Concurrent", i)
				_, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, ev)
				mu.Lock()
				if err != nil {
					werr = cmpOr(werr, err)
					mu.Unlock()
					return
				}
				acked[ev.EventID] = true
				if len(acked) == writers*each/2 {
					close(half)
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-half:
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	late := subscribeAll(t, ctx, c, opts)
	check := func(name string, f *feed) {
		got := f.take(writers*each, nil).events
		next := map[string]uint64{}
		seen := map[uuid.UUID]bool{}
		for i, ev := range got {
			if i > 0 && comparePositions(ev.Position, got[i-1].Position) <= 0 {
				t.Fatalf("%s: event %d at %+v, not after %+v", name, i, ev.Position, got[i-1].Position)
			}
			if ev.EventNumber != next[ev.StreamID] {
				t.Fatalf("%s: %s revision %d, want %d", name, ev.StreamID, ev.EventNumber, next[ev.StreamID])
			}
			next[ev.StreamID]++
			if seen[ev.EventID] {
				t.Fatalf("%s: event %s delivered twice", name, ev.EventID)
			}
			seen[ev.EventID] = true
		}
		mu.Lock()
		defer mu.Unlock()
		for id := range acked {
			if !seen[id] {
				t.Fatalf("%s: acknowledged event %s not delivered", name, id)
			}
		}
	}
	wg.Wait()
	if werr != nil {
		t.Fatalf("append: %v", werr)
	}
	check("live from the start", early)
	check("joined half-way", late)
}

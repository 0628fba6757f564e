package conformancetest

import (
	"regexp"
	"testing"
)

// testSubscribeStreamCaughtUp: a stream subscription delivers the history,
// then caught_up, then live events. caught_up carries the server's time and
// the last revision covered (none while the stream is empty); a client that
// needs them (KurrentDB) drops a caught_up without a time, so its user
// would never see the catch-up complete.
func testSubscribeStreamCaughtUp(t *testing.T, c Client) {
	ctx := testContext(t)
	s := newID("cc-sub")
	mustAppend(t, ctx, c, s, ExpectNoStream, newEvents("Hist", 0, 5)...)

	f := follow(t, ctx)(c.SubscribeStream(ctx, s, FromStart))
	evs, live := f.untilCaughtUp(nil)
	checkRevisions(t, "before caught-up", evs, 0, 1, 2, 3, 4)
	checkLive(t, c, "caught-up after the history", live, ptr(4), nil)
	mustAppend(t, ctx, c, s, ExpectRevision(4), newEvents("Live", 5, 2)...)
	checkRevisions(t, "live", f.take(2, nil), 5, 6)

	evs, live = follow(t, ctx)(c.SubscribeStream(ctx, s, FromEnd)).untilCaughtUp(nil)
	checkRevisions(t, "from the end, before caught-up", evs)
	checkLive(t, c, "caught-up from the end", live, ptr(6), nil)

	evs, live = follow(t, ctx)(c.SubscribeStream(ctx, newID("cc-sub-empty"), FromStart)).untilCaughtUp(nil)
	checkRevisions(t, "empty stream, before caught-up", evs)
	checkLive(t, c, "caught-up on an empty stream", live, nil, nil)
}

// testSubscribeAllCaughtUp: the same for $all, whose caught_up carries a
// position at or after the newest event delivered.
func testSubscribeAllCaughtUp(t *testing.T, c Client) {
	ctx := testContext(t)
	s := newID("cc-suball")
	start := mustAppend(t, ctx, c, newID("cc-suball-mark"), ExpectNoStream, newEvents("Mark", 0, 1)...)
	w := mustAppend(t, ctx, c, s, ExpectNoStream, newEvents("Hist", 0, 3)...)

	f := follow(t, ctx)(c.SubscribeAll(ctx, FromAt(start.Position), nil))
	evs, live := f.untilCaughtUp(ofStreams(s))
	checkRevisions(t, "before caught-up", evs, 0, 1, 2)
	checkLive(t, c, "caught-up on $all", live, nil, ptr(w.Position))
	mustAppend(t, ctx, c, s, ExpectRevision(2), newEvents("Live", 3, 2)...)
	checkRevisions(t, "live", f.take(2, ofStreams(s)), 3, 4)

	_, live = follow(t, ctx)(c.SubscribeAll(ctx, FromEnd, nil)).untilCaughtUp(nil)
	checkLive(t, c, "caught-up on $all from the end", live, nil, ptr(w.Position))
}

// testSubscribeFellBehind: a live subscription that wakes to find more
// than a few read steps waiting gets fell_behind (with the revision it had
// covered), the backlog, and caught_up again. When a real server sends
// fell_behind depends on its live buffer, so this runs on the embedded one.
func testSubscribeFellBehind(t *testing.T, c Client) {
	if external() {
		t.Skip("when a real server falls behind depends on its live buffer")
	}
	ctx := testContext(t)
	s := newID("cc-behind")
	mustAppend(t, ctx, c, s, ExpectNoStream, newEvents("First", 0, 1)...)
	f := follow(t, ctx)(c.SubscribeStream(ctx, s, FromStart))
	if evs, _ := f.untilCaughtUp(nil); len(evs) != 1 {
		t.Fatalf("%d events before caught-up, want 1", len(evs))
	}
	const backlog = 1500 // one append, so one wake-up finds it all
	mustAppend(t, ctx, c, s, ExpectRevision(0), newEvents("Bulk", 1, backlog)...)
	var behind *Live
	for behind == nil {
		m := f.next()
		switch {
		case m.Dropped != nil:
			t.Fatalf("dropped: %v", m.Dropped)
		case m.Event != nil:
			t.Fatalf("event %d before fell-behind", m.Event.Revision)
		case m.FellBehind != nil:
			behind = m.FellBehind
		}
	}
	checkLive(t, c, "fell-behind", behind, ptr(0), nil)
	evs, live := f.untilCaughtUp(nil)
	if len(evs) != backlog || evs[0].Revision != 1 || evs[len(evs)-1].Revision != backlog {
		t.Fatalf("backlog: %d events, want revisions 1..%d", len(evs), backlog)
	}
	checkLive(t, c, "caught-up after the backlog", live, ptr(backlog), nil)
}

// testSubscribeFilters: the three server-side filters of $all deliver
// exactly the events they match.
func testSubscribeFilters(t *testing.T, c Client) {
	ctx := testContext(t)
	p := newID("cc-flt")
	a, b, d := p+"-a", p+"-b", p+"-d"
	typed := "Typed" + p
	start := mustAppend(t, ctx, c, p+"-mark", ExpectNoStream, newEvents("Mark", 0, 1)...)
	mustAppend(t, ctx, c, a, ExpectNoStream, newEvents("Plain", 0, 3)...)
	mustAppend(t, ctx, c, b, ExpectNoStream, newEvents(typed, 0, 2)...)
	mustAppend(t, ctx, c, d, ExpectNoStream, newEvents("Plain", 0, 1)...)
	for _, tc := range []struct {
		name   string
		filter Filter
		want   map[string]int
	}{
		{"stream prefix", Filter{Prefixes: []string{a}}, map[string]int{a: 3}},
		{"event type prefix", Filter{OnType: true, Prefixes: []string{typed}}, map[string]int{b: 2}},
		{"stream regex", Filter{Regex: "^" + regexp.QuoteMeta(p) + "-(a|d)$"}, map[string]int{a: 3, d: 1}},
	} {
		f := follow(t, ctx)(c.SubscribeAll(ctx, FromAt(start.Position), &tc.filter))
		evs, _ := f.untilCaughtUp(nil)
		got := map[string]int{}
		for _, e := range evs {
			got[e.Stream]++
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: delivered %v, want %v", tc.name, got, tc.want)
			continue
		}
		for s, n := range tc.want {
			if got[s] != n {
				t.Errorf("%s: delivered %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

// testSubscribeCheckpoints: a filtered catch-up that matches nothing still
// reports how far it has scanned, so a subscriber can resume from there.
func testSubscribeCheckpoints(t *testing.T, c Client) {
	ctx := testContext(t)
	p := newID("cc-cp")
	start := mustAppend(t, ctx, c, p+"-skip", ExpectNoStream, newEvents("Skip", 0, 1)...)
	skip := mustAppend(t, ctx, c, p+"-skip", ExpectAny, newEvents("Skip", 1, 100)...)
	f := follow(t, ctx)(c.SubscribeAll(ctx, FromAt(start.Position), &Filter{Prefixes: []string{p + "-none"}}))
	var last uint64
	for {
		m := f.next()
		if m.Dropped != nil {
			t.Fatalf("dropped: %v", m.Dropped)
		}
		if m.Event != nil {
			t.Fatalf("the filter matched %s", m.Event.Stream)
		}
		if m.Checkpoint != nil {
			if *m.Checkpoint < last || *m.Checkpoint <= start.Position {
				t.Fatalf("checkpoint at %d after %d (start %d)", *m.Checkpoint, last, start.Position)
			}
			last = *m.Checkpoint
		}
		if m.CaughtUp != nil || last >= skip.Position {
			break
		}
	}
	if last == 0 {
		t.Fatal("no checkpoint while scanning 100 unmatched events")
	}
}

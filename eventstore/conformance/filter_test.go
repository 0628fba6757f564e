package conformance

import (
	"regexp"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

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

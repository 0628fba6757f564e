package conformance

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

func TestReadStream(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-read")
	evs := newEvents("Read", 0, 10)
	mustAppend(t, ctx, c, s, esdb.NoStream{}, evs[:4]...)
	mustAppend(t, ctx, c, s, esdb.Revision(3), evs[4:]...)

	reversed := func(in []esdb.EventData) []esdb.EventData {
		out := make([]esdb.EventData, len(in))
		for i, ev := range in {
			out[len(in)-1-i] = ev
		}
		return out
	}
	cases := []struct {
		name  string
		opts  esdb.ReadStreamOptions
		count uint64
		first uint64 // revision of the first event returned
		want  []esdb.EventData
	}{
		{"forwards from start", esdb.ReadStreamOptions{From: esdb.Start{}}, 100, 0, evs},
		{"forwards from start, count 3", esdb.ReadStreamOptions{From: esdb.Start{}}, 3, 0, evs[:3]},
		{"forwards from revision 4, count 3", esdb.ReadStreamOptions{From: esdb.Revision(4)}, 3, 4, evs[4:7]},
		{"forwards from the last revision", esdb.ReadStreamOptions{From: esdb.Revision(9)}, 100, 9, evs[9:]},
		{"forwards past the end", esdb.ReadStreamOptions{From: esdb.Revision(10)}, 100, 0, nil},
		{"backwards from end", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 100, 9, reversed(evs)},
		{"backwards from end, count 3", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 3, 9, reversed(evs[7:])},
		{"backwards from revision 4, count 3", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(4)}, 3, 4, reversed(evs[2:5])},
		{"backwards from revision 1", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(1)}, 100, 1, reversed(evs[:2])},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := readStream(t, ctx, c, s, tc.opts, tc.count)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %s, want %d", len(got), revisions(got), len(tc.want))
			}
			step := int64(1)
			if tc.opts.Direction == esdb.Backwards {
				step = -1
			}
			for i, ev := range got {
				wantRev := uint64(int64(tc.first) + step*int64(i))
				if ev.EventNumber != wantRev || ev.EventID != tc.want[i].EventID {
					t.Fatalf("event %d: got revision %d id %s, want %d id %s", i, ev.EventNumber, ev.EventID, wantRev, tc.want[i].EventID)
				}
			}
		})
	}
}

// TestReadStreamFields checks every field the client decodes from a recorded
// event, for JSON and binary content and for empty data and metadata.
func TestReadStreamFields(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-fields")
	evs := []esdb.EventData{
		{EventID: uuid.New(), EventType: "JSONEvent", ContentType: esdb.ContentTypeJson, Data: []byte(`{"a":"한글"}`), Metadata: []byte(`{"m":1}`)},
		{EventID: uuid.New(), EventType: "BinaryEvent", ContentType: esdb.ContentTypeBinary, Data: []byte{0, 1, 2, 0xff, 0}, Metadata: []byte{0}},
		{EventID: uuid.New(), EventType: "Empty", ContentType: esdb.ContentTypeBinary},
	}
	before := time.Now()
	mustAppend(t, ctx, c, s, esdb.NoStream{}, evs...)
	after := time.Now()

	got := readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10)
	if len(got) != len(evs) {
		t.Fatalf("got %d events, want %d", len(got), len(evs))
	}
	contentTypes := []string{"application/json", "application/octet-stream", "application/octet-stream"}
	for i, ev := range got {
		w := evs[i]
		if ev.EventID != w.EventID || ev.EventType != w.EventType || ev.StreamID != s || ev.EventNumber != uint64(i) {
			t.Errorf("event %d: got id %s type %q stream %q revision %d, want %s %q %q %d", i, ev.EventID, ev.EventType, ev.StreamID, ev.EventNumber, w.EventID, w.EventType, s, i)
		}
		if ev.ContentType != contentTypes[i] {
			t.Errorf("event %d: content type %q, want %q", i, ev.ContentType, contentTypes[i])
		}
		if !bytes.Equal(ev.Data, w.Data) || !bytes.Equal(ev.UserMetadata, w.Metadata) {
			t.Errorf("event %d: data %q metadata %q, want %q %q", i, ev.Data, ev.UserMetadata, w.Data, w.Metadata)
		}
		checkCreated(t, ev, before, after)
	}
}

// checkCreated allows a minute of clock difference for a server in a
// container; the point is a real timestamp, not zero or a unit mix-up.
func checkCreated(t testing.TB, ev *esdb.RecordedEvent, before, after time.Time) {
	t.Helper()
	if ev.CreatedDate.Before(before.Add(-time.Minute)) || ev.CreatedDate.After(after.Add(time.Minute)) {
		t.Errorf("%s@%d: created %v, want between %v and %v", ev.StreamID, ev.EventNumber, ev.CreatedDate, before, after)
	}
}

func TestReadMissingStream(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	for _, opts := range []esdb.ReadStreamOptions{
		{Direction: esdb.Forwards, From: esdb.Start{}},
		{Direction: esdb.Backwards, From: esdb.End{}},
		{Direction: esdb.Forwards, From: esdb.Revision(5)},
	} {
		got, err := collect(c.ReadStream(ctx, newID("conf-missing"), opts, 10))
		if errorCode(err) != esdb.ErrorCodeResourceNotFound || len(got) != 0 {
			t.Errorf("read missing stream %+v: got %d events and %v, want ErrorCodeResourceNotFound", opts, len(got), err)
		}
	}
}

// TestReadAll appends single events to two streams, so each append's
// position is the one event's position, and reads them back through $all.
// Other tests (or, on a real server, other clients) append at the same time,
// so only the order of this test's events is checked, never adjacency.
func TestReadAll(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s1, s2 := newID("conf-all"), newID("conf-all")
	type appended struct {
		stream string
		rev    uint64
		ev     esdb.EventData
		pos    esdb.Position
	}
	var mine []appended
	before := time.Now()
	for i := range 8 {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		ev := newEvent("AllEvent", i)
		res := mustAppend(t, ctx, c, s, esdb.Any{}, ev)
		mine = append(mine, appended{s, res.NextExpectedVersion, ev, esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}})
	}
	after := time.Now()

	check := func(t *testing.T, got *esdb.RecordedEvent, want appended) {
		t.Helper()
		if got.EventID != want.ev.EventID || got.StreamID != want.stream || got.EventNumber != want.rev || got.Position != want.pos {
			t.Fatalf("got %s@%d id %s at %+v, want %s@%d id %s at %+v", got.StreamID, got.EventNumber, got.EventID, got.Position,
				want.stream, want.rev, want.ev.EventID, want.pos)
		}
		if got.EventType != want.ev.EventType || !bytes.Equal(got.Data, want.ev.Data) || !bytes.Equal(got.UserMetadata, want.ev.Metadata) || got.ContentType != "application/json" {
			t.Fatalf("%s@%d: got type %q content %q data %q metadata %q", got.StreamID, got.EventNumber, got.EventType, got.ContentType, got.Data, got.UserMetadata)
		}
		checkCreated(t, got, before, after)
	}
	increasing := func(t *testing.T, evs []*esdb.RecordedEvent, dir int) {
		t.Helper()
		for i := 1; i < len(evs); i++ {
			if comparePositions(evs[i].Position, evs[i-1].Position) != dir {
				t.Fatalf("$all positions out of order at %d: %+v then %+v", i, evs[i-1].Position, evs[i].Position)
			}
		}
	}

	t.Run("forwards from a position includes it", func(t *testing.T) {
		got := readAll(t, ctx, c, esdb.ReadAllOptions{From: mine[0].pos}, math.MaxInt32)
		if len(got) == 0 {
			t.Fatal("no events")
		}
		check(t, got[0], mine[0])
		increasing(t, got, 1)
		ours := inStreams(got, s1, s2)
		if len(ours) != len(mine) {
			t.Fatalf("got %d of this test's events, want %d: %s", len(ours), len(mine), revisions(ours))
		}
		for i, ev := range ours {
			check(t, ev, mine[i])
		}
	})
	t.Run("forwards with a count", func(t *testing.T) {
		got := readAll(t, ctx, c, esdb.ReadAllOptions{From: mine[3].pos}, 1)
		if len(got) != 1 {
			t.Fatalf("got %d events, want 1", len(got))
		}
		check(t, got[0], mine[3])
	})
	t.Run("backwards from a position excludes it", func(t *testing.T) {
		last := mine[len(mine)-1]
		got := readAll(t, ctx, c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: last.pos}, math.MaxInt32)
		increasing(t, got, -1)
		if len(got) > 0 && comparePositions(got[0].Position, last.pos) >= 0 {
			t.Fatalf("first event at %+v, want before %+v", got[0].Position, last.pos)
		}
		ours := inStreams(got, s1, s2)
		if len(ours) != len(mine)-1 {
			t.Fatalf("got %d of this test's events, want %d: %s", len(ours), len(mine)-1, revisions(ours))
		}
		for i, ev := range ours {
			check(t, ev, mine[len(mine)-2-i])
		}
	})
	t.Run("backwards from end", func(t *testing.T) {
		got := readAll(t, ctx, c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
		if len(got) != 1 {
			t.Fatalf("got %d events, want 1", len(got))
		}
		if comparePositions(got[0].Position, mine[len(mine)-1].pos) < 0 {
			t.Fatalf("newest event of $all at %+v, before this test's last append at %+v", got[0].Position, mine[len(mine)-1].pos)
		}
	})
	t.Run("forwards from start", func(t *testing.T) {
		got := readAll(t, ctx, c, esdb.ReadAllOptions{From: esdb.Start{}}, 5)
		if len(got) == 0 {
			t.Fatal("$all is empty")
		}
		increasing(t, got, 1)
		// The first event of $all has nothing before it.
		if before := readAll(t, ctx, c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: got[0].Position}, 5); len(before) != 0 {
			t.Fatalf("%d events before the first event of $all at %+v", len(before), got[0].Position)
		}
	})
	t.Run("forwards from end", func(t *testing.T) {
		got := readAll(t, ctx, c, esdb.ReadAllOptions{From: esdb.End{}}, 5)
		if len(got) != 0 {
			t.Fatalf("got %d events reading forwards from the end, want none", len(got))
		}
	})
}

// TestReadAllBatch: the events of one append are one transaction, so they
// sit next to each other in $all, in order, and the append reports the
// position of the last one.
func TestReadAllBatch(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-allbatch")
	evs := newEvents("Batch", 0, 5)
	res := mustAppend(t, ctx, c, s, esdb.NoStream{}, evs...)
	last := esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}

	got := readAll(t, ctx, c, esdb.ReadAllOptions{From: last}, 1)
	if len(got) != 1 || got[0].EventID != evs[4].EventID {
		t.Fatalf("reading $all at the append's position %+v: got %s, want the batch's last event", last, revisions(got))
	}
	back := readAll(t, ctx, c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: last}, 4)
	if len(back) != 4 {
		t.Fatalf("got %d events before the last, want 4", len(back))
	}
	first := back[3].Position
	fwd := readAll(t, ctx, c, esdb.ReadAllOptions{From: first}, 5)
	checkSame(t, fwd, s, 0, evs)
	for i := 1; i < len(fwd); i++ {
		if comparePositions(fwd[i].Position, fwd[i-1].Position) <= 0 {
			t.Fatalf("positions not increasing inside the batch: %+v then %+v", fwd[i-1].Position, fwd[i].Position)
		}
	}
}

// TestReadStreamBackwardsPastEnd: a backwards read from a revision past the
// end starts at the last event.
func TestReadStreamBackwardsPastEnd(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-pastend")
	evs := newEvents("E", 0, 3)
	mustAppend(t, ctx, c, s, esdb.NoStream{}, evs...)
	got := readStream(t, ctx, c, s, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(100)}, 2)
	if len(got) != 2 || got[0].EventID != evs[2].EventID || got[1].EventID != evs[1].EventID {
		t.Fatalf("got %s, want revisions 2 and 1", revisions(got))
	}
}

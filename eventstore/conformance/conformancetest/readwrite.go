package conformancetest

import (
	"bytes"
	"testing"
	"time"
)

// testServerVersion: the client's first call asks ServerFeatures for the
// version, and the KurrentDB client gates the detail of caught_up on it
// (24 and later). The handle stays usable afterwards.
func testServerVersion(t *testing.T, c Client) {
	major, minor, patch, err := c.ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if major == 0 && minor == 0 && patch == 0 {
		t.Fatal("server version is 0.0.0: ServerFeatures.GetSupportedMethods is missing or reports no version")
	}
	if !external() && major < 24 {
		t.Errorf("server version %d.%d.%d: the embedded server speaks the 24.x dialect (caught_up with a checkpoint)", major, minor, patch)
	}
	mustAppend(t, testContext(t), c, newID("cc-version"), ExpectNoStream, newEvents("First", 0, 1)...)
}

func testAppendExpectedRevision(t *testing.T, c Client) {
	ctx := testContext(t)
	s := newID("cc-expect")
	wrong := func(what string, exp Expect) {
		t.Helper()
		_, err := c.Append(ctx, s, exp, newEvents("Wrong", 0, 1)...)
		isErr(t, what, err, ErrWrongVersion)
	}
	wrong("stream_exists on a new stream", ExpectExists)
	wrong("revision 0 on a new stream", ExpectRevision(0))
	w0 := mustAppend(t, ctx, c, s, ExpectNoStream, newEvents("E", 0, 2)...)
	if w0.Next != 1 || w0.Position == 0 {
		t.Fatalf("first append: %+v, want revision 1 and a position", w0)
	}
	wrong("no_stream on an existing stream", ExpectNoStream)
	wrong("a stale revision", ExpectRevision(0))
	w1 := mustAppend(t, ctx, c, s, ExpectRevision(1), newEvents("E", 2, 1)...)
	w2 := mustAppend(t, ctx, c, s, ExpectExists, newEvents("E", 3, 1)...)
	w3 := mustAppend(t, ctx, c, s, ExpectAny, newEvents("E", 4, 1)...)
	for i, w := range []Write{w1, w2, w3} {
		if w.Next != uint64(2+i) {
			t.Errorf("append %d: revision %d, want %d", i+2, w.Next, 2+i)
		}
	}
	if !(w0.Position < w1.Position && w1.Position < w2.Position && w2.Position < w3.Position) {
		t.Errorf("positions do not grow: %d %d %d %d", w0.Position, w1.Position, w2.Position, w3.Position)
	}
	checkRevisions(t, "after the appends", mustRead(t, ctx, c, s, Read{From: FromStart, Count: 100}), 0, 1, 2, 3, 4)
}

func testReadStream(t *testing.T, c Client) {
	ctx := testContext(t)
	s := newID("cc-read")
	before := time.Now()
	evs := newEvents("Read", 0, 10)
	evs[1].JSON, evs[1].Data = false, []byte{0, 1, 2, 255}
	mustAppend(t, ctx, c, s, ExpectNoStream, evs...)
	after := time.Now()

	got := mustRead(t, ctx, c, s, Read{From: FromStart, Count: 100})
	checkRevisions(t, "forwards from the start", got, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	for i, e := range got {
		want := evs[i]
		ct := "application/json"
		if !want.JSON {
			ct = "application/octet-stream"
		}
		switch {
		case e.ID != want.ID, e.Stream != s, e.Type != want.Type, e.ContentType != ct:
			t.Errorf("event %d: id %v stream %q type %q content type %q; want %v %q %q %q", i, e.ID, e.Stream, e.Type, e.ContentType, want.ID, s, want.Type, ct)
		case !bytes.Equal(e.Data, want.Data), !bytes.Equal(e.Metadata, want.Metadata):
			t.Errorf("event %d: data %q metadata %q; want %q %q", i, e.Data, e.Metadata, want.Data, want.Metadata)
		case e.Position == 0 || (i > 0 && e.Position <= got[i-1].Position):
			t.Errorf("event %d: position %d after %d", i, e.Position, got[max(i-1, 0)].Position)
		}
		slack := time.Second // the server's clock is ours
		if external() {
			slack = time.Minute
		}
		if e.Created.Before(before.Add(-slack)) || e.Created.After(after.Add(slack)) {
			t.Errorf("event %d: created %v, not within [%v, %v]", i, e.Created, before, after)
		}
	}
	checkRevisions(t, "forwards from revision 3, 4 events", mustRead(t, ctx, c, s, Read{From: FromAt(3), Count: 4}), 3, 4, 5, 6)
	checkRevisions(t, "backwards from the end, 3 events", mustRead(t, ctx, c, s, Read{From: FromEnd, Back: true, Count: 3}), 9, 8, 7)
	checkRevisions(t, "backwards from revision 5, 2 events", mustRead(t, ctx, c, s, Read{From: FromAt(5), Back: true, Count: 2}), 5, 4)
	checkRevisions(t, "forwards from the end", mustRead(t, ctx, c, s, Read{From: FromEnd, Count: 10}))

	_, err := c.ReadStream(ctx, newID("cc-missing"), Read{From: FromStart, Count: 10})
	isErr(t, "read a missing stream", err, ErrNotFound)
}

// testReadAll: single-event appends to two streams come back from $all in
// the order they were acknowledged, at the positions the appends reported.
func testReadAll(t *testing.T, c Client) {
	ctx := testContext(t)
	a, b := newID("cc-all-a"), newID("cc-all-b")
	var writes []Write
	var want []string
	for i := range 6 {
		s := a
		if i%2 == 1 {
			s = b
		}
		writes = append(writes, mustAppend(t, ctx, c, s, ExpectAny, newEvents("All", i, 1)...))
		want = append(want, s)
	}
	all, err := c.ReadAll(ctx, Read{From: FromAt(writes[0].Position), Count: 10_000})
	if err != nil {
		t.Fatalf("read $all: %v", err)
	}
	var got []Recorded
	for _, e := range all {
		if e.Stream == a || e.Stream == b {
			got = append(got, e)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("$all from the first append holds %d of the 6 events", len(got))
	}
	for i, e := range got {
		if e.Stream != want[i] || e.Revision != uint64(i/2) {
			t.Errorf("$all event %d: %s@%d, want %s@%d", i, e.Stream, e.Revision, want[i], i/2)
		}
		if i > 0 && e.Position <= got[i-1].Position {
			t.Errorf("$all event %d: position %d after %d", i, e.Position, got[i-1].Position)
		}
	}
	back, err := c.ReadAll(ctx, Read{From: FromEnd, Back: true, Count: 1})
	if err != nil || len(back) != 1 || back[0].Position < got[len(got)-1].Position {
		t.Fatalf("$all backwards from the end: %d events (%v), want the newest, at or after position %d", len(back), err, got[len(got)-1].Position)
	}
}

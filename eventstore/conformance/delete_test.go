package conformance

import (
	"math"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
)

// TestDeleteStream: a soft delete hides the stream (reads say not found);
// appending again continues the revisions where they left off and the old
// events stay hidden.
func TestDeleteStream(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-delete")
	mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("Old", 0, 3)...)

	// A delete with a stale expected revision is refused as EventStoreDB
	// refuses it: FailedPrecondition (wrong-expected-version), which the
	// client reports as an unknown error around that status.
	if _, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(1)}); grpcCode(err) != codes.FailedPrecondition {
		t.Fatalf("delete at a stale revision: got %v, want FailedPrecondition", err)
	}
	if got := readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10); len(got) != 3 {
		t.Fatalf("after a refused delete the stream has %d events, want 3", len(got))
	}

	res, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(2)})
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if res.Position.Commit == 0 {
		t.Fatalf("delete reported no position: %+v", res)
	}
	for _, opts := range []esdb.ReadStreamOptions{{}, {Direction: esdb.Backwards, From: esdb.End{}}} {
		if _, err := collect(c.ReadStream(ctx, s, opts, 10)); errorCode(err) != esdb.ErrorCodeResourceNotFound {
			t.Fatalf("read %+v after delete: got %v, want ErrorCodeResourceNotFound", opts, err)
		}
	}

	ev := newEvent("New", 3)
	w := mustAppend(t, ctx, c, s, esdb.Any{}, ev)
	if w.NextExpectedVersion != 3 {
		t.Fatalf("append after delete: revision %d, want 3 (continuing)", w.NextExpectedVersion)
	}
	checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10), s, 3, []esdb.EventData{ev})
	back := readStream(t, ctx, c, s, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 10)
	checkSame(t, back, s, 3, []esdb.EventData{ev})
}

// TestTombstoneStream: a hard delete is final. Reads and appends report
// ErrorCodeStreamDeleted, and $all holds the tombstone, an event of type
// $streamDeleted at revision MaxInt64.
func TestTombstoneStream(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-tombstone")
	w := mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("E", 0, 2)...)

	res, err := c.TombstoneStream(ctx, s, esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Revision(1)})
	if err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	if comparePositions(res.Position, esdb.Position{Commit: w.CommitPosition, Prepare: w.PreparePosition}) <= 0 {
		t.Fatalf("tombstone at %+v, not after the last append at %d/%d", res.Position, w.CommitPosition, w.PreparePosition)
	}

	for _, opts := range []esdb.ReadStreamOptions{{}, {Direction: esdb.Backwards, From: esdb.End{}}} {
		if _, err := collect(c.ReadStream(ctx, s, opts, 10)); errorCode(err) != esdb.ErrorCodeStreamDeleted {
			t.Fatalf("read %+v after tombstone: got %v, want ErrorCodeStreamDeleted", opts, err)
		}
	}
	for _, exp := range []esdb.ExpectedRevision{esdb.Any{}, esdb.NoStream{}, esdb.Revision(1)} {
		_, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: exp}, newEvent("E", 9))
		if errorCode(err) != esdb.ErrorCodeStreamDeleted {
			t.Fatalf("append %#v after tombstone: got %v, want ErrorCodeStreamDeleted", exp, err)
		}
	}
	if _, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{}); errorCode(err) != esdb.ErrorCodeStreamDeleted {
		t.Fatalf("delete after tombstone: got %v, want ErrorCodeStreamDeleted", err)
	}
	if _, err := c.TombstoneStream(ctx, s, esdb.TombstoneStreamOptions{}); errorCode(err) != esdb.ErrorCodeStreamDeleted {
		t.Fatalf("second tombstone: got %v, want ErrorCodeStreamDeleted", err)
	}

	got := inStreams(readAll(t, ctx, c, esdb.ReadAllOptions{From: res.Position}, 1), s)
	if len(got) != 1 || got[0].EventType != "$streamDeleted" || got[0].EventNumber != math.MaxInt64 {
		t.Fatalf("$all at the tombstone's position: got %s, want one $streamDeleted event at revision MaxInt64", revisions(got))
	}
}

// TestStreamMetadata round-trips metadata through the $$ stream and checks
// that reads honour $maxCount and $tb. GetStreamMetadata reads the $$ stream
// forwards with count 1, so it only sees the newest metadata if the server
// keeps one event in $$ streams.
func TestStreamMetadata(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)

	t.Run("none set", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-meta")
		mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvent("E", 0))
		// The $$ stream does not exist; the client reports the read's
		// not-found error.
		if _, err := c.GetStreamMetadata(ctx, s, esdb.ReadStreamOptions{}); errorCode(err) != esdb.ErrorCodeResourceNotFound {
			t.Fatalf("metadata of a stream without any: got %v, want ErrorCodeResourceNotFound", err)
		}
	})
	t.Run("round trip, newest wins", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-meta")
		var m esdb.StreamMetadata
		m.SetMaxCount(10)
		m.SetMaxAge(time.Hour)
		m.AddCustomProperty("owner", "clinic")
		w, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, m)
		if err != nil || w.NextExpectedVersion != 0 {
			t.Fatalf("set metadata: %+v, %v; want revision 0 of the $$ stream", w, err)
		}
		m.SetMaxCount(7)
		m.SetTruncateBefore(2)
		if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, m); err != nil {
			t.Fatalf("update metadata: %v", err)
		}
		got, err := c.GetStreamMetadata(ctx, s, esdb.ReadStreamOptions{})
		if err != nil {
			t.Fatalf("get metadata: %v", err)
		}
		if got.MaxCount() == nil || *got.MaxCount() != 7 || got.MaxAge() == nil || *got.MaxAge() != time.Hour ||
			got.TruncateBefore() == nil || *got.TruncateBefore() != 2 || got.CustomProperty("owner") != "clinic" {
			t.Fatalf("got metadata maxCount %v maxAge %v tb %v owner %v; want 7, 1h, 2, clinic",
				deref(got.MaxCount()), deref(got.MaxAge()), deref(got.TruncateBefore()), got.CustomProperty("owner"))
		}
	})
	t.Run("$maxCount", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-meta")
		evs := newEvents("E", 0, 5)
		mustAppend(t, ctx, c, s, esdb.NoStream{}, evs...)
		var m esdb.StreamMetadata
		m.SetMaxCount(2)
		if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m); err != nil {
			t.Fatalf("set metadata: %v", err)
		}
		checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10), s, 3, evs[3:])
		checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{From: esdb.Revision(1)}, 10), s, 3, evs[3:])
		back := readStream(t, ctx, c, s, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 10)
		if len(back) != 2 || back[0].EventID != evs[4].EventID || back[1].EventID != evs[3].EventID {
			t.Fatalf("backwards read: got %s, want revisions 4 and 3", revisions(back))
		}
	})
	t.Run("$tb", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-meta")
		evs := newEvents("E", 0, 5)
		mustAppend(t, ctx, c, s, esdb.NoStream{}, evs...)
		var m esdb.StreamMetadata
		m.SetTruncateBefore(3)
		if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m); err != nil {
			t.Fatalf("set metadata: %v", err)
		}
		checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10), s, 3, evs[3:])
		// Nothing is left there; whether that reads as empty or as not found
		// is not documented, so both pass.
		got, err := collect(c.ReadStream(ctx, s, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(2)}, 10))
		if len(got) != 0 || (err != nil && errorCode(err) != esdb.ErrorCodeResourceNotFound) {
			t.Fatalf("backwards from a truncated revision: got %s, %v; want nothing", revisions(got), err)
		}
	})
	// $maxAge is in whole seconds and judged by the server's clock against
	// each event's creation time, so this case has to let time pass.
	t.Run("$maxAge", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-meta")
		mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("Old", 0, 2)...)
		var m esdb.StreamMetadata
		m.SetMaxAge(2 * time.Second)
		if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m); err != nil {
			t.Fatalf("set metadata: %v", err)
		}
		time.Sleep(3 * time.Second)
		ev := newEvent("Fresh", 2)
		mustAppend(t, ctx, c, s, esdb.Revision(1), ev)
		checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10), s, 2, []esdb.EventData{ev})
	})
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestDeleteStreamState: EventStoreDB marks a soft-deleted stream with
// $tb = MaxInt64 in its metadata (the client decodes the JSON number through
// a float64, so it reads back as 2^63). StreamExists then fails with
// stream-deleted; the next Any append restores the metadata with $tb at the
// new event's revision, keeping the other settings.
func TestDeleteStreamState(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-delstate")
	mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("Old", 0, 3)...)
	var m esdb.StreamMetadata
	m.SetMaxCount(50)
	if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m); err != nil {
		t.Fatalf("set metadata: %v", err)
	}
	if _, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	got, err := c.GetStreamMetadata(ctx, s, esdb.ReadStreamOptions{})
	if err != nil {
		t.Fatalf("metadata after delete: %v", err)
	}
	if tb := got.TruncateBefore(); tb == nil || *tb < math.MaxInt64 {
		t.Errorf("$tb after delete: %v, want MaxInt64", deref(tb))
	}
	if mc := got.MaxCount(); mc == nil || *mc != 50 {
		t.Errorf("$maxCount after delete: %v, want 50 kept", deref(mc))
	}
	_, err = c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, newEvent("New", 3))
	if errorCode(err) != esdb.ErrorCodeStreamDeleted {
		t.Errorf("StreamExists append to a deleted stream: got %v, want ErrorCodeStreamDeleted", err)
	}

	ev := newEvent("New", 3)
	if w := mustAppend(t, ctx, c, s, esdb.Any{}, ev); w.NextExpectedVersion != 3 {
		t.Fatalf("append after delete: revision %d, want 3", w.NextExpectedVersion)
	}
	got, err = c.GetStreamMetadata(ctx, s, esdb.ReadStreamOptions{})
	if err != nil {
		t.Fatalf("metadata after the new append: %v", err)
	}
	if tb := got.TruncateBefore(); tb == nil || *tb != 3 {
		t.Errorf("$tb after the new append: %v, want 3", deref(tb))
	}
	if mc := got.MaxCount(); mc == nil || *mc != 50 {
		t.Errorf("$maxCount after the new append: %v, want 50 kept", deref(mc))
	}
	checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10), s, 3, []esdb.EventData{ev})
}

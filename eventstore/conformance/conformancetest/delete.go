package conformancetest

import "testing"

// testDelete: a soft delete hides the stream; an append continues the
// revisions, and only the new events are readable.
func testDelete(t *testing.T, c Client) {
	ctx := testContext(t)
	s := newID("cc-delete")
	mustAppend(t, ctx, c, s, ExpectNoStream, newEvents("Old", 0, 3)...)
	if err := c.Delete(ctx, s, ExpectRevision(1)); err == nil {
		t.Fatal("a delete at a stale revision succeeded")
	}
	checkRevisions(t, "after a refused delete", mustRead(t, ctx, c, s, Read{From: FromStart, Count: 10}), 0, 1, 2)
	if err := c.Delete(ctx, s, ExpectRevision(2)); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err := c.ReadStream(ctx, s, Read{From: FromStart, Count: 10})
	isErr(t, "read after delete", err, ErrNotFound)
	if w := mustAppend(t, ctx, c, s, ExpectAny, newEvents("New", 3, 1)...); w.Next != 3 {
		t.Fatalf("append after delete: revision %d, want 3 (continuing)", w.Next)
	}
	checkRevisions(t, "after the append", mustRead(t, ctx, c, s, Read{From: FromStart, Count: 10}), 3)
	checkRevisions(t, "backwards after the append", mustRead(t, ctx, c, s, Read{From: FromEnd, Back: true, Count: 10}), 3)
}

// testTombstone: a hard delete is final for reads, appends, deletes and
// subscriptions.
func testTombstone(t *testing.T, c Client) {
	ctx := testContext(t)
	s := newID("cc-tombstone")
	mustAppend(t, ctx, c, s, ExpectNoStream, newEvents("E", 0, 2)...)
	if err := c.Tombstone(ctx, s, ExpectRevision(1)); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	_, err := c.ReadStream(ctx, s, Read{From: FromStart, Count: 10})
	isErr(t, "read after tombstone", err, ErrStreamDeleted)
	_, err = c.Append(ctx, s, ExpectAny, newEvents("E", 2, 1)...)
	isErr(t, "append after tombstone", err, ErrStreamDeleted)
	isErr(t, "delete after tombstone", c.Delete(ctx, s, ExpectAny), ErrStreamDeleted)
	isErr(t, "tombstone after tombstone", c.Tombstone(ctx, s, ExpectAny), ErrStreamDeleted)
	// The client reports it from Subscribe, or as the drop of the feed.
	sub, err := c.SubscribeStream(ctx, s, FromStart)
	if err == nil {
		err = newFeed(t, ctx, sub).dropped()
	}
	isErr(t, "subscribe after tombstone", err, ErrStreamDeleted)
}

// testMetadata: stream metadata round-trips, and reads honour $maxCount and
// $tb.
func testMetadata(t *testing.T, c Client) {
	ctx := testContext(t)
	counted, truncated := newID("cc-maxcount"), newID("cc-tb")
	if err := c.SetMetadata(ctx, counted, Metadata{MaxCount: ptr(2)}); err != nil {
		t.Fatalf("set $maxCount: %v", err)
	}
	mustAppend(t, ctx, c, counted, ExpectAny, newEvents("E", 0, 5)...)
	checkRevisions(t, "$maxCount 2", mustRead(t, ctx, c, counted, Read{From: FromStart, Count: 10}), 3, 4)

	mustAppend(t, ctx, c, truncated, ExpectNoStream, newEvents("E", 0, 5)...)
	if err := c.SetMetadata(ctx, truncated, Metadata{TruncateBefore: ptr(3)}); err != nil {
		t.Fatalf("set $tb: %v", err)
	}
	checkRevisions(t, "$tb 3", mustRead(t, ctx, c, truncated, Read{From: FromStart, Count: 10}), 3, 4)

	for s, want := range map[string]Metadata{counted: {MaxCount: ptr(2)}, truncated: {TruncateBefore: ptr(3)}} {
		got, err := c.GetMetadata(ctx, s)
		if err != nil {
			t.Fatalf("get metadata of %s: %v", s, err)
		}
		if deref(got.MaxCount) != deref(want.MaxCount) || deref(got.TruncateBefore) != deref(want.TruncateBefore) {
			t.Errorf("metadata of %s: $maxCount %v $tb %v, want %v %v", s,
				deref(got.MaxCount), deref(got.TruncateBefore), deref(want.MaxCount), deref(want.TruncateBefore))
		}
	}
}

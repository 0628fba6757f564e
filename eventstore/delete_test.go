package eventstore_test

import (
	"context"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

func TestSoftDeleteThenRecreate(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(3, "A")...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 10); code(err) != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("read after delete: got %v, want not found", err)
	}
	r, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, events(1, "B")...)
	if err != nil {
		t.Fatal(err)
	}
	if r.NextExpectedVersion != 3 {
		t.Fatalf("recreated at revision %d, want 3", r.NextExpectedVersion)
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Event.EventNumber != 3 || got[0].Event.EventType != "B" {
		t.Fatalf("after recreate got %d events", len(got))
	}
}

func TestMetadataMaxCountAndTruncate(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(10, "A")...); err != nil {
		t.Fatal(err)
	}
	var m esdb.StreamMetadata
	m.SetMaxCount(3)
	if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m); err != nil {
		t.Fatal(err)
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Event.EventNumber != 7 {
		t.Fatalf("maxCount 3: got %d events", len(got))
	}
	var m2 esdb.StreamMetadata
	m2.SetTruncateBefore(9)
	if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m2); err != nil {
		t.Fatal(err)
	}
	meta, err := c.GetStreamMetadata(ctx, s, esdb.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tb := meta.TruncateBefore(); tb == nil || *tb != 9 || meta.MaxCount() != nil {
		t.Fatalf("metadata: tb %v maxCount %v, want the newest document only", tb, meta.MaxCount())
	}
	got, err = readAllOf(t, c, s, esdb.ReadStreamOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Event.EventNumber != 9 {
		t.Fatalf("tb 9: got %d events", len(got))
	}
}

func TestAppendTooLarge(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	big := make([]byte, 2<<20)
	_, err := c.AppendToStream(context.Background(), streamName(t), esdb.AppendToStreamOptions{},
		esdb.EventData{EventType: "Big", ContentType: esdb.ContentTypeBinary, Data: big})
	if err == nil {
		t.Fatal("2 MiB append accepted")
	}
}

func TestDeleteMissingStreamIsWrongVersion(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	if _, err := c.DeleteStream(context.Background(), streamName(t), esdb.DeleteStreamOptions{ExpectedRevision: esdb.Any{}}); err == nil {
		t.Fatal("deleting a stream that never existed succeeded; EventStoreDB answers wrong expected version")
	}
}

func TestStreamExistsWithOnlyMetadata(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	var m esdb.StreamMetadata
	m.SetMaxCount(5)
	if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, m); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, events(1, "A")...); err != nil {
		t.Fatalf("stream_exists on a stream with only metadata: %v", err)
	}
}

func TestTombstoneEndsStreamSubscription(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(1, "A")...); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToStream(ctx, s, esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	tombstoned := false
	for {
		ev := sub.Recv()
		if ev.CaughtUp != nil && !tombstoned {
			tombstoned = true
			if _, err := c.TombstoneStream(ctx, s, esdb.TombstoneStreamOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if ev.SubscriptionDropped != nil {
			if !tombstoned {
				t.Fatalf("dropped before the tombstone: %v", ev.SubscriptionDropped.Error)
			}
			return
		}
	}
}

func TestDeleteTwice(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(1, "A")...); err != nil {
		t.Fatal(err)
	}
	first, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{})
	if err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if again.Position != first.Position {
		t.Errorf("second delete at %v, want the first delete's %v", again.Position, first.Position)
	}
}

// The client reads a soft-deleted stream's $tb back as 2^63 (through a
// float64) and writes it so when the metadata is saved again; the stream
// must stay deleted rather than show its old events.
func TestDeletedMetadataWrittenBackStaysDeleted(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(3, "A")...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteStream(ctx, s, esdb.DeleteStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := c.GetStreamMetadata(ctx, s, esdb.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.SetMaxCount(10)
	if _, err := c.SetStreamMetadata(ctx, s, esdb.AppendToStreamOptions{}, *m); err != nil {
		t.Fatal(err)
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 10)
	if code(err) != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("read after saving the deleted stream's metadata: %d events, %v; want not found", len(got), err)
	}
}

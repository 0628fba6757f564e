package eventstore_test

import (
	"context"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// Reads and catch-ups longer than one read step (256 events) must continue
// exactly where the step ended.
func TestLongReadsCrossSteps(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	for i := 0; i < 7; i++ {
		if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(100, "Bulk")...); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, ^uint64(0))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if e.Event.EventNumber != uint64(i) {
			t.Fatalf("forwards: event %d has revision %d", i, e.Event.EventNumber)
		}
	}
	if len(got) != 700 {
		t.Fatalf("forwards: got %d events, want 700", len(got))
	}
	back, err := readAllOf(t, c, s, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 300 || back[0].Event.EventNumber != 699 || back[299].Event.EventNumber != 400 {
		t.Fatalf("backwards: got %d events", len(back))
	}

	sub, err := c.SubscribeToStream(ctx, s, esdb.SubscribeToStreamOptions{From: esdb.Revision(99)})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	want := uint64(100)
	for want < 700 {
		ev := sub.Recv()
		if ev.SubscriptionDropped != nil {
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		}
		if ev.CaughtUp != nil {
			t.Fatalf("caught up at %d, want 700", want)
		}
		if ev.EventAppeared != nil {
			if got := ev.EventAppeared.Event.EventNumber; got != want {
				t.Fatalf("subscription: got revision %d, want %d", got, want)
			}
			want++
		}
	}

	all, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	var last uint64
	n := 0
	for n < 700 {
		ev := all.Recv()
		if ev.SubscriptionDropped != nil {
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		}
		if ev.EventAppeared != nil {
			p := ev.EventAppeared.Event.Position.Commit
			if p <= last {
				t.Fatalf("$all positions not increasing: %d after %d", p, last)
			}
			last = p
			if ev.EventAppeared.Event.StreamID == s {
				n++
			}
		}
	}
}

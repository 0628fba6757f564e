package conformance

import (
	"context"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// feed pumps a subscription into a channel so a test can wait for its next
// message under the test's deadline. The channel is unbuffered: a test that
// stops reading stops the pump too, like a slow subscriber.
type feed struct {
	t   testing.TB
	ctx context.Context
	sub *esdb.Subscription
	ch  <-chan *esdb.SubscriptionEvent
}

func follow(t testing.TB, ctx context.Context, sub *esdb.Subscription) *feed {
	ch := make(chan *esdb.SubscriptionEvent)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			m := sub.Recv()
			select {
			case ch <- m:
			case <-done:
				return
			}
			if m.SubscriptionDropped != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		sub.Close()
	})
	return &feed{t: t, ctx: ctx, sub: sub, ch: ch}
}

// next returns the next message, failing the test when none comes before the
// test's deadline.
func (f *feed) next() *esdb.SubscriptionEvent {
	f.t.Helper()
	select {
	case m, ok := <-f.ch:
		if !ok {
			f.t.Fatalf("subscription feed ended")
		}
		return m
	case <-f.ctx.Done():
		f.t.Fatalf("no subscription message before the deadline: %v", f.ctx.Err())
		return nil
	}
}

// received is what a subscription delivered, in order.
type received struct {
	events      []*esdb.RecordedEvent
	checkpoints []checkpoint
	caughtUp    int // events delivered before the first caught-up message; -1 if none came
}

type checkpoint struct {
	pos   esdb.Position
	after int // events delivered before it
}

// take reads messages until n events that keep accepts have arrived (nil
// keep accepts all). Other events are dropped; a dropped subscription fails
// the test.
func (f *feed) take(n int, keep func(*esdb.RecordedEvent) bool) received {
	f.t.Helper()
	r := received{caughtUp: -1}
	for len(r.events) < n {
		m := f.next()
		switch {
		case m.SubscriptionDropped != nil:
			f.t.Fatalf("subscription dropped after %d of %d events: %v", len(r.events), n, m.SubscriptionDropped.Error)
		case m.EventAppeared != nil:
			if ev := m.EventAppeared.OriginalEvent(); keep == nil || keep(ev) {
				r.events = append(r.events, ev)
			}
		case m.CheckPointReached != nil:
			r.checkpoints = append(r.checkpoints, checkpoint{*m.CheckPointReached, len(r.events)})
		case m.CaughtUp != nil:
			if r.caughtUp < 0 {
				r.caughtUp = len(r.events)
			}
		}
	}
	return r
}

// ofStreams is a keep function for take.
func ofStreams(streams ...string) func(*esdb.RecordedEvent) bool {
	want := make(map[string]bool, len(streams))
	for _, s := range streams {
		want[s] = true
	}
	return func(ev *esdb.RecordedEvent) bool { return want[ev.StreamID] }
}

// subscribeStream subscribes to stream and follows it.
func subscribeStream(t testing.TB, ctx context.Context, c *esdb.Client, stream string, from esdb.StreamPosition) *feed {
	t.Helper()
	sub, err := c.SubscribeToStream(ctx, stream, esdb.SubscribeToStreamOptions{From: from})
	if err != nil {
		t.Fatalf("subscribe to %s from %#v: %v", stream, from, err)
	}
	return follow(t, ctx, sub)
}

// subscribeAll subscribes to $all and follows it.
func subscribeAll(t testing.TB, ctx context.Context, c *esdb.Client, opts esdb.SubscribeToAllOptions) *feed {
	t.Helper()
	sub, err := c.SubscribeToAll(ctx, opts)
	if err != nil {
		t.Fatalf("subscribe to $all %+v: %v", opts, err)
	}
	return follow(t, ctx, sub)
}

// streamPrefix is a server-side filter on a stream-name prefix.
func streamPrefix(prefixes ...string) *esdb.SubscriptionFilter {
	return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: prefixes}
}

// expectCaughtUp reports whether the server should send caught-up messages:
// the embedded server always does; EventStoreDB does from version 23.
func expectCaughtUp(t testing.TB, c *esdb.Client) bool {
	t.Helper()
	if !esdbtest.External() {
		return true
	}
	v, err := c.GetServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	return v.Major >= 23
}

package conformance

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// TestIdleSubscriptionSurvives: the client pings every 10 s on an idle
// connection; a server that enforces grpc-go's default keepalive policy
// answers the third ping with GOAWAY (too_many_pings) and the subscription
// drops after about 30 s. This one idles for 35 s on its own connection and
// must still deliver the next event. It runs beside the other tests.
func TestIdleSubscriptionSurvives(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := esdbtest.Connect(t, esdbtest.URL(t))
	s := newID("conf-idle")
	f := subscribeStream(t, ctx, c, s, esdb.Start{})
	idle := time.NewTimer(35 * time.Second)
	defer idle.Stop()
	for waiting := true; waiting; {
		select {
		case m, ok := <-f.ch:
			switch {
			case !ok:
				t.Fatal("subscription feed ended while idle")
			case m.SubscriptionDropped != nil:
				t.Fatalf("idle subscription dropped: %v", m.SubscriptionDropped.Error)
			case m.EventAppeared != nil:
				t.Fatalf("event %s on a stream nobody wrote to", m.EventAppeared.OriginalEvent().EventID)
			}
		case <-idle.C:
			waiting = false
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	ev := newEvent("Wake", 0)
	mustAppend(t, ctx, c, s, esdb.NoStream{}, ev)
	checkSame(t, f.take(1, nil).events, s, 0, []esdb.EventData{ev})
}

// TestSlowSubscriber: two subscribers (a stream and a filtered $all) never
// read while another client appends 5,000 events of 2 KiB, far more than
// gRPC flow control lets the server push ahead. Every append must still be
// acknowledged. Then each subscriber reads: it must get every event once, in
// order — either served late, or dropped with a clear gRPC status (not OK,
// Unknown or Canceled) after which it resubscribes from the last event it
// got and receives the rest.
func TestSlowSubscriber(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	url := esdbtest.URL(t)
	reader, writer := esdbtest.Connect(t, url), esdbtest.Connect(t, url)
	s := newID("conf-slow")

	streamSub, err := reader.SubscribeToStream(ctx, s, esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatalf("subscribe to stream: %v", err)
	}
	from := marker(t, ctx, writer)
	allOpts := esdb.SubscribeToAllOptions{From: from, Filter: streamPrefix(s)}
	allSub, err := reader.SubscribeToAll(ctx, allOpts)
	if err != nil {
		t.Fatalf("subscribe to $all: %v", err)
	}

	const n, batch = 5000, 10
	evs := make([]esdb.EventData, n)
	for i := range evs {
		data := make([]byte, 2048)
		rand.Read(data) // incompressible, so the bytes really travel
		evs[i] = esdb.EventData{EventID: uuid.New(), EventType: "Slow", ContentType: esdb.ContentTypeBinary, Data: data}
	}
	for i, b := range split(evs, batch) {
		exp := esdb.ExpectedRevision(esdb.Revision(uint64(i*batch - 1)))
		if i == 0 {
			exp = esdb.NoStream{}
		}
		// Each append gets its own deadline, so a server whose writers wait
		// for the stalled subscribers fails here instead of hanging.
		actx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err := writer.AppendToStream(actx, s, esdb.AppendToStreamOptions{ExpectedRevision: exp}, b...)
		cancel()
		if err != nil {
			t.Fatalf("append %d of %d while subscribers stall: %v", i+1, n/batch, err)
		}
	}

	drain := func(t *testing.T, sub *esdb.Subscription, resubscribe func(last *esdb.RecordedEvent) *esdb.Subscription) {
		f := follow(t, ctx, sub)
		var got []*esdb.RecordedEvent
		drops := 0
		for len(got) < n {
			m := f.next()
			switch {
			case m.SubscriptionDropped != nil:
				code := grpcCode(m.SubscriptionDropped.Error)
				if code == codes.OK || code == codes.Unknown || code == codes.Canceled {
					t.Fatalf("dropped after %d events without a clear status: %v", len(got), m.SubscriptionDropped.Error)
				}
				if drops++; drops > 3 {
					t.Fatalf("dropped %d times while reading actively: %v", drops, m.SubscriptionDropped.Error)
				}
				t.Logf("dropped after %d events with %v; resubscribing", len(got), code)
				var last *esdb.RecordedEvent
				if len(got) > 0 {
					last = got[len(got)-1]
				}
				f = follow(t, ctx, resubscribe(last))
			case m.EventAppeared != nil:
				got = append(got, m.EventAppeared.OriginalEvent())
			}
		}
		checkSame(t, got, s, 0, evs)
	}
	t.Run("stream", func(t *testing.T) {
		drain(t, streamSub, func(last *esdb.RecordedEvent) *esdb.Subscription {
			var from esdb.StreamPosition = esdb.Start{}
			if last != nil {
				from = esdb.Revision(last.EventNumber)
			}
			sub, err := reader.SubscribeToStream(ctx, s, esdb.SubscribeToStreamOptions{From: from})
			if err != nil {
				t.Fatalf("resubscribe: %v", err)
			}
			return sub
		})
	})
	t.Run("all", func(t *testing.T) {
		drain(t, allSub, func(last *esdb.RecordedEvent) *esdb.Subscription {
			opts := allOpts
			if last != nil {
				opts.From = last.Position
			}
			sub, err := reader.SubscribeToAll(ctx, opts)
			if err != nil {
				t.Fatalf("resubscribe: %v", err)
			}
			return sub
		})
	})
}

// TestServerShutdownDropsSubscriptions: closing the embedded server ends its
// subscriptions with gRPC Unavailable, the status a client takes as "resubscribe
// elsewhere or later", not with a silent end or an unknown error.
func TestServerShutdownDropsSubscriptions(t *testing.T) {
	if esdbtest.External() {
		t.Skip("stops its own server")
	}
	t.Parallel()
	ctx := testContext(t)
	url, stop, err := esdbtest.Serve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := esdbtest.Connect(t, url)
	s := newID("conf-shutdown")
	mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvent("E", 0))
	feeds := []*feed{
		subscribeStream(t, ctx, c, s, esdb.Start{}),
		subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.Start{}}),
	}
	for _, f := range feeds {
		f.take(1, ofStreams(s))
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for i, f := range feeds {
		for {
			m := f.next()
			if m.SubscriptionDropped == nil {
				continue
			}
			if code := grpcCode(m.SubscriptionDropped.Error); code != codes.Unavailable {
				t.Errorf("subscription %d dropped with %v (%v), want Unavailable", i, code, m.SubscriptionDropped.Error)
			}
			break
		}
	}
}

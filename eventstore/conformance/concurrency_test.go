package conformance

import (
	"fmt"
	"sync"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

// TestSubscribeMany runs several subscriptions at once, on two connections,
// and checks each receives the same events in the same order.
func TestSubscribeMany(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c1, c2 := newClient(t), newClient(t)
	p := newID("conf-many") + "-"
	s := p + "x"
	var feeds []*feed
	for _, c := range []*esdb.Client{c1, c2} {
		feeds = append(feeds,
			subscribeStream(t, ctx, c, s, esdb.Start{}),
			subscribeStream(t, ctx, c, s, esdb.End{}),
			subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.End{}, Filter: streamPrefix(p)}),
			subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.End{}}),
		)
	}
	evs := newEvents("Many", 0, 100)
	for i, b := range split(evs, 10) {
		exp := esdb.ExpectedRevision(esdb.Revision(uint64(i*10 - 1)))
		if i == 0 {
			exp = esdb.NoStream{}
		}
		mustAppend(t, ctx, c1, s, exp, b...)
	}
	// Read one after the other: the others' events wait in their buffers.
	for i, f := range feeds {
		got := f.take(100, ofStreams(s))
		for j, ev := range got.events {
			if ev.EventID != evs[j].EventID || ev.EventNumber != uint64(j) {
				t.Fatalf("subscription %d, event %d: got %s@%d, want revision %d id %s", i, j, ev.EventID, ev.EventNumber, j, evs[j].EventID)
			}
		}
	}
}

// TestSubscribeAllConcurrentWriters: with many writers, appends share group
// commits; $all subscriptions, one live from the start and one joining
// half-way (catching up while appends go on), must each deliver every event
// once, in strictly increasing position, each stream in revision order.
func TestSubscribeAllConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	p := newID("conf-concurrent") + "-"
	from := marker(t, ctx, c)
	opts := esdb.SubscribeToAllOptions{From: from, Filter: streamPrefix(p)}
	early := subscribeAll(t, ctx, c, opts)

	const writers, each = 8, 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[uuid.UUID]bool{}
	var werr error
	half := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			s := fmt.Sprintf("%s%d", p, w)
			for i := range each {
				ev := newEvent("Concurrent", i)
				_, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, ev)
				mu.Lock()
				if err != nil {
					werr = cmpOr(werr, err)
					mu.Unlock()
					return
				}
				acked[ev.EventID] = true
				if len(acked) == writers*each/2 {
					close(half)
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-half:
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	late := subscribeAll(t, ctx, c, opts)
	check := func(name string, f *feed) {
		got := f.take(writers*each, nil).events
		next := map[string]uint64{}
		seen := map[uuid.UUID]bool{}
		for i, ev := range got {
			if i > 0 && comparePositions(ev.Position, got[i-1].Position) <= 0 {
				t.Fatalf("%s: event %d at %+v, not after %+v", name, i, ev.Position, got[i-1].Position)
			}
			if ev.EventNumber != next[ev.StreamID] {
				t.Fatalf("%s: %s revision %d, want %d", name, ev.StreamID, ev.EventNumber, next[ev.StreamID])
			}
			next[ev.StreamID]++
			if seen[ev.EventID] {
				t.Fatalf("%s: event %s delivered twice", name, ev.EventID)
			}
			seen[ev.EventID] = true
		}
		mu.Lock()
		defer mu.Unlock()
		for id := range acked {
			if !seen[id] {
				t.Fatalf("%s: acknowledged event %s not delivered", name, id)
			}
		}
	}
	wg.Wait()
	if werr != nil {
		t.Fatalf("append: %v", werr)
	}
	check("live from the start", early)
	check("joined half-way", late)
}

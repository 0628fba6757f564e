package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

func events(n int, typ string) []esdb.EventData {
	out := make([]esdb.EventData, n)
	for i := range out {
		out[i] = esdb.EventData{
			EventID:     uuid.New(),
			EventType:   typ,
			ContentType: esdb.ContentTypeJson,
			Data:        []byte(fmt.Sprintf(`{"n":%d}`, i)),
			Metadata:    []byte(`{"m":1}`),
		}
	}
	return out
}

func streamName(t *testing.T) string { return t.Name() + "-" + uuid.NewString() }

func readAllOf(t *testing.T, c *esdb.Client, stream string, opts esdb.ReadStreamOptions, n uint64) ([]*esdb.ResolvedEvent, error) {
	t.Helper()
	rs, err := c.ReadStream(context.Background(), stream, opts, n)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func code(err error) esdb.ErrorCode {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

func TestAppendExpectedRevisions(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)

	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, events(1, "A")...); code(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("stream_exists on a new stream: got %v, want wrong expected version", err)
	}
	r, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, events(2, "A")...)
	if err != nil {
		t.Fatal(err)
	}
	if r.NextExpectedVersion != 1 || r.CommitPosition == 0 {
		t.Fatalf("got %+v, want revision 1 and a position", r)
	}
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, events(1, "A")...); code(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("no_stream on an existing stream: got %v", err)
	}
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, events(1, "A")...); code(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("stale revision: got %v", err)
	}
	r2, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(1)}, events(1, "A")...)
	if err != nil {
		t.Fatal(err)
	}
	if r2.NextExpectedVersion != 2 || r2.CommitPosition <= r.CommitPosition {
		t.Fatalf("got %+v after %+v", r2, r)
	}
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, events(1, "A")...); err != nil {
		t.Fatal(err)
	}
	r3, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, events(1, "A")...)
	if err != nil || r3.NextExpectedVersion != 4 {
		t.Fatalf("any: %+v %v", r3, err)
	}
}

func TestAppendIdempotent(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	evs := events(3, "A")
	r1, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, evs...)
	if err != nil {
		t.Fatalf("repeat: %v", err)
	}
	if r2.NextExpectedVersion != r1.NextExpectedVersion {
		t.Fatalf("repeat got %+v, want %+v", r2, r1)
	}
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, evs...); err != nil {
		t.Fatalf("repeat with any: %v", err)
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d events after repeats, want 3", len(got))
	}
}

func TestReadStreamDirections(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	evs := events(10, "Counted")
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, evs...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		opts  esdb.ReadStreamOptions
		count uint64
		want  []uint64
	}{
		{"forwards from start", esdb.ReadStreamOptions{}, 3, []uint64{0, 1, 2}},
		{"forwards from 8", esdb.ReadStreamOptions{From: esdb.Revision(8)}, 5, []uint64{8, 9}},
		{"backwards from end", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 2, []uint64{9, 8}},
		{"backwards from 1", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(1)}, 5, []uint64{1, 0}},
		{"forwards from end", esdb.ReadStreamOptions{From: esdb.End{}}, 5, nil},
	}
	for _, tt := range tests {
		got, err := readAllOf(t, c, s, tt.opts, tt.count)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var revs []uint64
		for _, e := range got {
			revs = append(revs, e.Event.EventNumber)
			if e.Event.EventType != "Counted" || e.Event.StreamID != s || e.Event.CreatedDate.IsZero() {
				t.Fatalf("%s: bad event %+v", tt.name, e.Event)
			}
			if e.Event.EventID != evs[e.Event.EventNumber].EventID || string(e.Event.Data) != string(evs[e.Event.EventNumber].Data) {
				t.Fatalf("%s: event %d differs", tt.name, e.Event.EventNumber)
			}
		}
		if fmt.Sprint(revs) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, revs, tt.want)
		}
	}
	if _, err := readAllOf(t, c, "missing-"+s, esdb.ReadStreamOptions{}, 5); code(err) != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("missing stream: got %v", err)
	}
}

func TestReadAll(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(5, "X")...); err != nil {
		t.Fatal(err)
	}
	rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	var positions []uint64
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, e.Event.Position.Commit)
	}
	rs.Close()
	if len(positions) != 5 {
		t.Fatalf("got %d events", len(positions))
	}
	for i := 1; i < len(positions); i++ {
		if positions[i] >= positions[i-1] {
			t.Fatalf("backwards positions not decreasing: %v", positions)
		}
	}
	// forwards from a position includes it
	rs, err = c.ReadAll(ctx, esdb.ReadAllOptions{From: esdb.Position{Commit: positions[1], Prepare: positions[1]}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	e, err := rs.Recv()
	rs.Close()
	if err != nil || e.Event.Position.Commit != positions[1] {
		t.Fatalf("forwards from %d: got %v %v", positions[1], e, err)
	}
}

func TestSubscribeCatchUpThenLive(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(3, "E")...); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToStream(ctx, s, esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []uint64
	appended := false
	for len(got) < 6 {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		case ev.CaughtUp != nil:
			if !appended {
				appended = true
				if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{}, events(3, "E")...); err != nil {
					t.Fatal(err)
				}
			}
		case ev.EventAppeared != nil:
			got = append(got, ev.EventAppeared.Event.EventNumber)
		}
	}
	if fmt.Sprint(got) != "[0 1 2 3 4 5]" {
		t.Fatalf("got %v", got)
	}
}

func TestSubscribeAllFiltered(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	prefix := uuid.NewString()
	for i := 0; i < 40; i++ {
		if _, err := c.AppendToStream(ctx, fmt.Sprintf("other-%d", i), esdb.AppendToStreamOptions{}, events(1, "Other")...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AppendToStream(ctx, prefix+"-a", esdb.AppendToStreamOptions{}, events(2, "Mine")...); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   esdb.Start{},
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{prefix}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var n, checkpoints int
	for n < 2 {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		case ev.CheckPointReached != nil:
			checkpoints++
		case ev.EventAppeared != nil:
			if ev.EventAppeared.Event.StreamID != prefix+"-a" {
				t.Fatalf("filter let through %q", ev.EventAppeared.Event.StreamID)
			}
			n++
		}
	}
	if checkpoints == 0 {
		t.Fatalf("no checkpoint after 40 filtered-out events")
	}
}

func TestCloseEndsSubscription(t *testing.T) {
	t.Parallel()
	srv, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	c := esdbtest.Connect(t, srv.URL())
	sub, err := c.SubscribeToAll(context.Background(), esdb.SubscribeToAllOptions{From: esdb.End{}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *esdb.SubscriptionDropped, 1)
	go func() {
		for {
			if ev := sub.Recv(); ev.SubscriptionDropped != nil {
				done <- ev.SubscriptionDropped
				return
			}
		}
	}()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("subscription not ended by Close")
	}
}

func TestDiscoverURL(t *testing.T) {
	t.Parallel()
	srv, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := esdbtest.Connect(t, "esdb+discover://"+srv.Addr()+"?tls=false")
	if _, err := c.AppendToStream(context.Background(), "discovered", esdb.AppendToStreamOptions{}, events(1, "A")...); err != nil {
		t.Fatalf("append through gossip discovery: %v", err)
	}
}

// A retry with any or stream_exists is recognised by its event IDs even
// after the stream moved on; a partial repeat is a wrong expected version.
func TestAppendIdempotentByEventID(t *testing.T) {
	t.Parallel()
	c := esdbtest.Client(t)
	ctx := context.Background()
	s := streamName(t)
	a, b := events(2, "A"), events(2, "B")
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, a...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(1)}, b...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		exp  esdb.ExpectedRevision
		evs  []esdb.EventData
		want uint64
	}{
		{"any, first batch", esdb.Any{}, a, 1},
		{"stream_exists, second batch", esdb.StreamExists{}, b, 3},
		{"no_stream, first batch", esdb.NoStream{}, a, 1},
		{"revision 1, second batch", esdb.Revision(1), b, 3},
	} {
		r, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: tc.exp}, tc.evs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.NextExpectedVersion != tc.want {
			t.Errorf("%s: acknowledged at %d, want the original %d", tc.name, r.NextExpectedVersion, tc.want)
		}
	}
	partial := append([]esdb.EventData{a[0]}, events(1, "New")...)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, partial...); code(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Errorf("partial repeat: got %v, want wrong expected version", err)
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("stream has %d events after the retries, want 4", len(got))
	}
}

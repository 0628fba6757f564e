package conformancetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/eventstore/storetest"
)

// testTimeout bounds each case, so a server that never answers (or never
// sends a caught_up the client understands) fails the case instead of
// hanging the run.
const testTimeout = 30 * time.Second

// Connect returns a client of the suite's server, closed when t ends.
type Connect func(t testing.TB) Client

// cases are the client-neutral cases, in the order they run (in parallel).
var cases = []struct {
	name string
	run  func(t *testing.T, c Client)
}{
	{"ServerVersion", testServerVersion},
	{"AppendExpectedRevision", testAppendExpectedRevision},
	{"ReadStream", testReadStream},
	{"ReadAll", testReadAll},
	{"SubscribeStreamCaughtUp", testSubscribeStreamCaughtUp},
	{"SubscribeAllCaughtUp", testSubscribeAllCaughtUp},
	{"SubscribeFellBehind", testSubscribeFellBehind},
	{"SubscribeFilters", testSubscribeFilters},
	{"SubscribeCheckpoints", testSubscribeCheckpoints},
	{"Delete", testDelete},
	{"Tombstone", testTombstone},
	{"Metadata", testMetadata},
}

// Run runs every case as a parallel subtest of t, each with a fresh client
// from connect. The cases share the server, and so $all, with each other
// and with whatever else runs: they only look at streams they made.
func Run(t *testing.T, connect Connect) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, connect(t))
		})
	}
}

// testContext is t's context bounded by testTimeout.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newID returns a name no other case, run or client uses.
func newID(prefix string) string { return prefix + "-" + uuid.NewString() }

// newEvents returns n JSON events of type typ numbered from first.
func newEvents(typ string, first, n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{
			ID: uuid.New(), Type: typ, JSON: true,
			Data:     fmt.Appendf(nil, `{"n":%d}`, first+i),
			Metadata: fmt.Appendf(nil, `{"test":%d}`, first+i),
		}
	}
	return evs
}

func mustAppend(t testing.TB, ctx context.Context, c Client, stream string, exp Expect, evs ...Event) Write {
	t.Helper()
	w, err := c.Append(ctx, stream, exp, evs...)
	if err != nil {
		t.Fatalf("append %d events to %s (expected %+v): %v", len(evs), stream, exp, err)
	}
	return w
}

func mustRead(t testing.TB, ctx context.Context, c Client, stream string, r Read) []Recorded {
	t.Helper()
	got, err := c.ReadStream(ctx, stream, r)
	if err != nil {
		t.Fatalf("read %s %+v: %v", stream, r, err)
	}
	return got
}

// revisions lists the revisions of evs, for messages and comparisons.
func revisions(evs []Recorded) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Revision
	}
	return out
}

func checkRevisions(t testing.TB, what string, got []Recorded, want ...uint64) {
	t.Helper()
	if g := revisions(got); !slices.Equal(g, want) {
		t.Fatalf("%s: revisions %v, want %v", what, g, want)
	}
}

// feed delivers a subscription's messages with the case's deadline.
type feed struct {
	t   testing.TB
	ctx context.Context
	ch  chan Message
}

// follow returns a function that takes what a Subscribe call returns:
// follow(t, ctx)(c.SubscribeStream(ctx, s, FromStart)).
func follow(t testing.TB, ctx context.Context) func(Subscription, error) *feed {
	return func(sub Subscription, err error) *feed {
		t.Helper()
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		return newFeed(t, ctx, sub)
	}
}

func newFeed(t testing.TB, ctx context.Context, sub Subscription) *feed {
	ch := make(chan Message)
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
			if m.Dropped != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		sub.Close()
	})
	return &feed{t: t, ctx: ctx, ch: ch}
}

// next returns the next message, failing the case when none comes in time.
func (f *feed) next() Message {
	f.t.Helper()
	select {
	case m, ok := <-f.ch:
		if !ok {
			f.t.Fatalf("subscription feed ended")
		}
		return m
	case <-f.ctx.Done():
		f.t.Fatalf("no subscription message before the deadline: %v", f.ctx.Err())
		return Message{}
	}
}

// untilCaughtUp collects the events keep accepts (nil: all) up to the next
// caught_up, and returns them with what caught_up said.
func (f *feed) untilCaughtUp(keep func(Recorded) bool) ([]Recorded, *Live) {
	f.t.Helper()
	var evs []Recorded
	for {
		m := f.next()
		switch {
		case m.Dropped != nil:
			f.t.Fatalf("subscription dropped after %d events, before caught-up: %v", len(evs), m.Dropped)
		case m.Event != nil && (keep == nil || keep(*m.Event)):
			evs = append(evs, *m.Event)
		case m.CaughtUp != nil:
			return evs, m.CaughtUp
		}
	}
}

// take collects n events that keep accepts, ignoring the rest (other
// cases' events, checkpoints, caught_up and fell_behind).
func (f *feed) take(n int, keep func(Recorded) bool) []Recorded {
	f.t.Helper()
	var evs []Recorded
	for len(evs) < n {
		m := f.next()
		if m.Dropped != nil {
			f.t.Fatalf("subscription dropped after %d of %d events: %v", len(evs), n, m.Dropped)
		}
		if m.Event != nil && (keep == nil || keep(*m.Event)) {
			evs = append(evs, *m.Event)
		}
	}
	return evs
}

// dropped waits for the subscription to end and returns why.
func (f *feed) dropped() error {
	f.t.Helper()
	for {
		if m := f.next(); m.Dropped != nil {
			return m.Dropped
		}
	}
}

func ofStreams(streams ...string) func(Recorded) bool {
	return func(e Recorded) bool { return slices.Contains(streams, e.Stream) }
}

// checkLive checks what a caught_up or fell_behind carries, when the client
// passes it on: the server's time, and the revision (wantRev, stream) or a
// position of at least minPos ($all) to resume from; nil wants none.
func checkLive(t testing.TB, c Client, what string, l *Live, wantRev *uint64, minPos *uint64) {
	t.Helper()
	if !c.LiveDetail() {
		return
	}
	if d := time.Since(l.At); d < -time.Minute || d > time.Minute {
		t.Errorf("%s: server time %v is %v away from now", what, l.At, d)
	}
	switch {
	case wantRev == nil && l.Revision != nil:
		t.Errorf("%s: revision %d, want none", what, *l.Revision)
	case wantRev != nil && (l.Revision == nil || *l.Revision != *wantRev):
		t.Errorf("%s: revision %v, want %d", what, deref(l.Revision), *wantRev)
	}
	switch {
	case minPos == nil && l.Position != nil:
		t.Errorf("%s: position %d, want none", what, *l.Position)
	case minPos != nil && (l.Position == nil || *l.Position < *minPos):
		t.Errorf("%s: position %v, want at least %d", what, deref(l.Position), *minPos)
	}
}

func deref(p *uint64) any {
	if p == nil {
		return "none"
	}
	return *p
}

func ptr(v uint64) *uint64 { return &v }

// isErr fails t unless err is want.
func isErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

// external reports whether the suite runs against a real server.
func external() bool { return storetest.External() }

package conformance

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// TestAppendIdempotent re-sends appends with the same event IDs, as a client
// does after a lost acknowledgement. EventStoreDB acknowledges them again
// without writing anything, for every kind of expected revision.
func TestAppendIdempotent(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-idem")

	first := newEvents("E", 0, 3)
	res := mustAppend(t, ctx, c, s, esdb.NoStream{}, first...)
	again := mustAppend(t, ctx, c, s, esdb.NoStream{}, first...)
	if again.NextExpectedVersion != res.NextExpectedVersion {
		t.Fatalf("NoStream retry: revision %d, want the original %d", again.NextExpectedVersion, res.NextExpectedVersion)
	}

	next := newEvent("E", 3)
	res = mustAppend(t, ctx, c, s, esdb.Revision(2), next)
	again = mustAppend(t, ctx, c, s, esdb.Revision(2), next)
	if res.NextExpectedVersion != 3 || again.NextExpectedVersion != 3 {
		t.Fatalf("Revision(2) append and retry: revisions %d and %d, want 3 and 3", res.NextExpectedVersion, again.NextExpectedVersion)
	}

	again = mustAppend(t, ctx, c, s, esdb.Any{}, next)
	if again.NextExpectedVersion != 3 {
		t.Fatalf("Any retry: revision %d, want 3", again.NextExpectedVersion)
	}

	got := readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 100)
	checkSame(t, got, s, 0, append(first, next))
}

// TestAppendConcurrentSameRevision races appends that all expect the same
// revision: exactly one wins, the rest see the winner's revision. Group
// commit must not let two of them through in one batch.
func TestAppendConcurrentSameRevision(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	for _, tc := range []struct {
		name     string
		existing int
		exp      esdb.ExpectedRevision
		current  string // the winner's revision, as the losers must be told
	}{
		{"NoStream", 0, esdb.NoStream{}, "0"},
		{"Revision", 1, esdb.Revision(0), "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newID("conf-race")
			if tc.existing > 0 {
				mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("E", 0, tc.existing)...)
			}
			const n = 16
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, errs[i] = c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: tc.exp}, newEvent("Race", i))
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case errorCode(err) != esdb.ErrorCodeWrongExpectedVersion:
					t.Fatalf("loser got %v, want ErrorCodeWrongExpectedVersion", err)
				case !strings.Contains(err.Error(), fmt.Sprintf("but got '%s'", tc.current)):
					t.Fatalf("loser got %q, want the current revision %s reported", err, tc.current)
				}
			}
			if won != 1 {
				t.Fatalf("%d of %d racing appends succeeded, want 1", won, n)
			}
			if got := readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 100); len(got) != tc.existing+1 {
				t.Fatalf("stream has %d events, want %d", len(got), tc.existing+1)
			}
		})
	}
}

// TestAppendConcurrentRetries sends the same append (same event IDs, same
// expected revision) several times at once, as retrying clients may: every
// copy is acknowledged with the same revision and the events are stored once.
func TestAppendConcurrentRetries(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-retries")
	evs := newEvents("E", 0, 3)
	const n = 8
	res := make([]*esdb.WriteResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res[i], errs[i] = c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, evs...)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("copy %d: %v", i, errs[i])
		}
		if res[i].NextExpectedVersion != 2 {
			t.Fatalf("copy %d: revision %d, want 2", i, res[i].NextExpectedVersion)
		}
	}
	checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 100), s, 0, evs)
}

// TestAppendIdempotentAfterLaterWrites retries an append after the stream
// has moved on. With an explicit expected revision EventStoreDB compares the
// retried IDs with the events stored right after that revision and, when
// they match, acknowledges again with the original revision; with Any it
// finds the first ID among the stream's recent events.
func TestAppendIdempotentAfterLaterWrites(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-idem-later")
	a, b := newEvents("A", 0, 2), newEvents("B", 2, 2)
	mustAppend(t, ctx, c, s, esdb.NoStream{}, a...)
	mustAppend(t, ctx, c, s, esdb.Revision(1), b...)
	for _, tc := range []struct {
		name string
		exp  esdb.ExpectedRevision
		evs  []esdb.EventData
		want uint64
	}{
		{"NoStream, first batch", esdb.NoStream{}, a, 1},
		{"Revision, second batch", esdb.Revision(1), b, 3},
		{"Any, first batch", esdb.Any{}, a, 1},
		{"StreamExists, second batch", esdb.StreamExists{}, b, 3},
	} {
		res, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: tc.exp}, tc.evs...)
		if err != nil {
			t.Fatalf("%s: retry failed: %v", tc.name, err)
		}
		if res.NextExpectedVersion != tc.want {
			t.Fatalf("%s: retry acknowledged at revision %d, want the original %d", tc.name, res.NextExpectedVersion, tc.want)
		}
	}
	checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 100), s, 0, append(a, b...))
}

// TestAppendPartialRetry: an append whose first IDs are stored but whose
// later ones are new is neither new nor a retry; EventStoreDB reports it as
// a wrong expected version ("corrupted idempotency") and writes nothing.
func TestAppendPartialRetry(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-partial")
	a := newEvents("A", 0, 2)
	mustAppend(t, ctx, c, s, esdb.NoStream{}, a...)
	for _, exp := range []esdb.ExpectedRevision{esdb.NoStream{}, esdb.Any{}, esdb.StreamExists{}} {
		_, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: exp}, a[0], newEvent("X", 9))
		if errorCode(err) != esdb.ErrorCodeWrongExpectedVersion {
			t.Errorf("%#v: got %v, want ErrorCodeWrongExpectedVersion", exp, err)
		}
	}
	checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 100), s, 0, a)
}

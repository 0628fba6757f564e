package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// TestServerVersion checks the very first call of a fresh client: the client
// asks ServerFeatures.GetSupportedMethods and keeps the version it reports.
// A server without the method would read as 0.0.0.
func TestServerVersion(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	v, err := c.GetServerVersion()
	if err != nil {
		t.Fatalf("GetServerVersion: %v", err)
	}
	if v.Major == 0 && v.Minor == 0 && v.Patch == 0 {
		t.Fatalf("server version is 0.0.0: ServerFeatures.GetSupportedMethods is missing or reports no version")
	}
	// The handle stays usable for ordinary calls after the features call.
	mustAppend(t, testContext(t), c, newID("conf-version"), esdb.NoStream{}, newEvent("First", 0))
}

func TestAppendExpectedRevision(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)

	// wrongVersion asserts err is the client's wrong-expected-version error,
	// and that the server reported want as the stream's current revision: the
	// client only keeps it in the message, "expecting 'x' but got 'want'".
	wrongVersion := func(t *testing.T, err error, want string) {
		t.Helper()
		if err == nil {
			t.Fatalf("append succeeded, want ErrorCodeWrongExpectedVersion")
		}
		e, ok := esdb.FromError(err)
		if ok || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
			t.Fatalf("got %v (code %d), want ErrorCodeWrongExpectedVersion", err, e.Code())
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("but got '%s'", want)) {
			t.Fatalf("got %q, want the current revision %q reported", err, want)
		}
	}
	appendOne := func(stream string, exp esdb.ExpectedRevision) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: exp}, newEvent("E", 0))
	}

	t.Run("NoStream", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-nostream")
		res := mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("E", 0, 3)...)
		if res.NextExpectedVersion != 2 {
			t.Fatalf("first append of 3 events: revision %d, want 2", res.NextExpectedVersion)
		}
		if res.CommitPosition == 0 {
			t.Fatalf("append reported no $all position: %+v", res)
		}
		_, err := appendOne(s, esdb.NoStream{})
		wrongVersion(t, err, "2")
	})
	t.Run("StreamExists", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-exists")
		_, err := appendOne(s, esdb.StreamExists{})
		wrongVersion(t, err, "no_stream")
		mustAppend(t, ctx, c, s, esdb.Any{}, newEvent("E", 0))
		res := mustAppend(t, ctx, c, s, esdb.StreamExists{}, newEvent("E", 1))
		if res.NextExpectedVersion != 1 {
			t.Fatalf("revision %d, want 1", res.NextExpectedVersion)
		}
	})
	t.Run("Any", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-any")
		var last *esdb.WriteResult
		for i := range 3 {
			res := mustAppend(t, ctx, c, s, esdb.Any{}, newEvent("E", i))
			if res.NextExpectedVersion != uint64(i) {
				t.Fatalf("append %d: revision %d, want %d", i, res.NextExpectedVersion, i)
			}
			pos := esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}
			if last != nil && comparePositions(pos, esdb.Position{Commit: last.CommitPosition, Prepare: last.PreparePosition}) <= 0 {
				t.Fatalf("append %d: position %+v not after the previous append's %+v", i, pos, last)
			}
			last = res
		}
	})
	t.Run("Revision", func(t *testing.T) {
		t.Parallel()
		s := newID("conf-revision")
		_, err := appendOne(s, esdb.Revision(0))
		wrongVersion(t, err, "no_stream")
		mustAppend(t, ctx, c, s, esdb.NoStream{}, newEvents("E", 0, 5)...)
		res := mustAppend(t, ctx, c, s, esdb.Revision(4), newEvent("E", 5))
		if res.NextExpectedVersion != 5 {
			t.Fatalf("revision %d, want 5", res.NextExpectedVersion)
		}
		for _, stale := range []uint64{0, 3, 4, 6, 100} {
			_, err := appendOne(s, esdb.Revision(stale))
			wrongVersion(t, err, "5")
		}
		if got := readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 100); len(got) != 6 {
			t.Fatalf("stream has %d events after rejected appends, want 6", len(got))
		}
	})
}

// TestAppendOversize: EventStoreDB refuses an append whose proposed messages
// add up to more than MaxAppendSize (1 MiB by default) with InvalidArgument
// ("Maximum Append Size of 1048576 Exceeded."); the client has no code of its
// own for it and reports ErrorCodeUnknown around that status. Nothing of the
// append is written and the connection stays usable.
func TestAppendOversize(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	big := func(size int) esdb.EventData {
		return esdb.EventData{EventID: uuid.New(), EventType: "Big", ContentType: esdb.ContentTypeBinary, Data: make([]byte, size)}
	}
	cases := []struct {
		name string
		evs  []esdb.EventData
	}{
		{"one 2 MiB event", []esdb.EventData{big(2 << 20)}},
		{"three 400 KiB events", []esdb.EventData{big(400 << 10), big(400 << 10), big(400 << 10)}},
		// Larger than grpc-go's default 4 MiB receive limit and smaller than
		// the client's 17 MiB: the server must still answer with its
		// append-size error, not a transport error.
		{"one 5 MiB event", []esdb.EventData{big(5 << 20)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newID("conf-big")
			_, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, tc.evs...)
			if err == nil {
				t.Fatalf("oversize append succeeded")
			}
			if got := grpcCode(err); got != codes.InvalidArgument {
				t.Fatalf("got %v (gRPC code %v), want InvalidArgument", err, got)
			}
			if _, err := collect(c.ReadStream(ctx, s, esdb.ReadStreamOptions{}, 10)); errorCode(err) != esdb.ErrorCodeResourceNotFound {
				t.Fatalf("reading the refused stream: got %v, want ErrorCodeResourceNotFound", err)
			}
		})
	}

	t.Run("just under the limit", func(t *testing.T) {
		s := newID("conf-big")
		ev := big(900 << 10)
		ev.Data[0], ev.Data[len(ev.Data)-1] = 1, 2
		mustAppend(t, ctx, c, s, esdb.NoStream{}, ev)
		checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 1), s, 0, []esdb.EventData{ev})
	})
}

// TestFreshClientFirstCallIsAppend covers a client whose first operation is
// an append rather than a read: the features call precedes it.
func TestFreshClientFirstCallIsAppend(t *testing.T) {
	t.Parallel()
	c := esdbtest.Connect(t, sharedURL(t))
	mustAppend(t, testContext(t), c, newID("conf-first"), esdb.NoStream{}, newEvent("First", 0))
}

// TestStreamNames: stream names are opaque strings to the server.
func TestStreamNames(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	id := uuid.NewString()
	for _, s := range []string{
		"환자-" + id + "-🐶",
		"clinic/visits/" + id,
		"with space " + id,
		"a.b:c|" + id + "$",
	} {
		ev := newEvent("Named", 0)
		mustAppend(t, ctx, c, s, esdb.NoStream{}, ev)
		checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10), s, 0, []esdb.EventData{ev})
		f := subscribeAll(t, ctx, c, esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: streamPrefix(s)})
		checkSame(t, f.take(1, nil).events, s, 0, []esdb.EventData{ev})
	}
}

// TestAppendNothing: an append with no events checks the expected revision
// and writes nothing.
func TestAppendNothing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := newClient(t)
	s := newID("conf-nothing")
	evs := newEvents("E", 0, 3)
	mustAppend(t, ctx, c, s, esdb.NoStream{}, evs...)
	res, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(2)})
	if err != nil || res.NextExpectedVersion != 2 {
		t.Fatalf("empty append at the current revision: %+v, %v; want success at revision 2", res, err)
	}
	for _, exp := range []esdb.ExpectedRevision{esdb.Revision(0), esdb.Revision(5), esdb.NoStream{}} {
		if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: exp}); errorCode(err) != esdb.ErrorCodeWrongExpectedVersion {
			t.Fatalf("empty append expecting %#v: got %v, want ErrorCodeWrongExpectedVersion", exp, err)
		}
	}
	checkSame(t, readStream(t, ctx, c, s, esdb.ReadStreamOptions{}, 10), s, 0, evs)
}

package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// testTimeout bounds every test's calls, so a server that never answers
// fails the test instead of hanging the run.
const testTimeout = 60 * time.Second

// shared is the server most tests share: starting one per test costs time,
// and sharing makes every test prove it ignores other tests' events in $all,
// as it must against a real server.
var shared struct {
	once sync.Once
	url  string
	stop func() error
	err  error
}

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	code := m.Run()
	if shared.stop != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "conformance: stop shared event store:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// sharedURL returns the URL of the package's shared server, starting it on
// first use.
func sharedURL(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		shared.url, shared.stop, shared.err = esdbtest.Serve(context.Background())
	})
	if shared.err != nil {
		t.Fatalf("shared event store: %v", shared.err)
	}
	return shared.url
}

// newClient returns an official client of the shared server, closed when t
// ends.
func newClient(t testing.TB) *esdb.Client {
	t.Helper()
	return esdbtest.Connect(t, sharedURL(t))
}

// testContext is t's context bounded by testTimeout.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newID returns a name no other test, run or client uses: tests share $all
// with each other and, against a real server, with everything else.
func newID(prefix string) string {
	return prefix + "-" + uuid.NewString()
}

// newEvent is a JSON event of type typ with a fresh ID.
func newEvent(typ string, n int) esdb.EventData {
	return esdb.EventData{
		EventID:     uuid.New(),
		EventType:   typ,
		ContentType: esdb.ContentTypeJson,
		Data:        fmt.Appendf(nil, `{"n":%d}`, n),
		Metadata:    fmt.Appendf(nil, `{"test":%d}`, n),
	}
}

// newEvents returns n events of type typ numbered from first.
func newEvents(typ string, first, n int) []esdb.EventData {
	evs := make([]esdb.EventData, n)
	for i := range evs {
		evs[i] = newEvent(typ, first+i)
	}
	return evs
}

// mustAppend appends evs to stream and fails t on any error.
func mustAppend(t testing.TB, ctx context.Context, c *esdb.Client, stream string, expected esdb.ExpectedRevision, evs ...esdb.EventData) *esdb.WriteResult {
	t.Helper()
	res, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expected}, evs...)
	if err != nil {
		t.Fatalf("append %d events to %s (expected %#v): %v", len(evs), stream, expected, err)
	}
	return res
}

// collect drains a read into a slice; err is the first error other than EOF.
func collect(rs *esdb.ReadStream, err error) ([]*esdb.RecordedEvent, error) {
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev.OriginalEvent())
	}
}

// readStream reads stream with opts and count, failing t on any error.
func readStream(t testing.TB, ctx context.Context, c *esdb.Client, stream string, opts esdb.ReadStreamOptions, count uint64) []*esdb.RecordedEvent {
	t.Helper()
	evs, err := collect(c.ReadStream(ctx, stream, opts, count))
	if err != nil {
		t.Fatalf("read %s (%+v, count %d): %v", stream, opts, count, err)
	}
	return evs
}

// readAll reads $all with opts and count, failing t on any error.
func readAll(t testing.TB, ctx context.Context, c *esdb.Client, opts esdb.ReadAllOptions, count uint64) []*esdb.RecordedEvent {
	t.Helper()
	evs, err := collect(c.ReadAll(ctx, opts, count))
	if err != nil {
		t.Fatalf("read $all (%+v, count %d): %v", opts, count, err)
	}
	return evs
}

// inStreams keeps the events of the given streams, in order.
func inStreams(evs []*esdb.RecordedEvent, streams ...string) []*esdb.RecordedEvent {
	want := make(map[string]bool, len(streams))
	for _, s := range streams {
		want[s] = true
	}
	var out []*esdb.RecordedEvent
	for _, ev := range evs {
		if want[ev.StreamID] {
			out = append(out, ev)
		}
	}
	return out
}

// errorCode is the client's error code of err, or -1 when err carries none.
func errorCode(err error) esdb.ErrorCode {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

// grpcCode is the gRPC status code somewhere in err's chain.
func grpcCode(err error) codes.Code {
	var s interface{ GRPCStatus() *status.Status }
	if errors.As(err, &s) {
		return s.GRPCStatus().Code()
	}
	return codes.Unknown
}

// comparePositions orders $all positions: by commit, then prepare.
func comparePositions(a, b esdb.Position) int {
	switch {
	case a.Commit < b.Commit:
		return -1
	case a.Commit > b.Commit:
		return 1
	case a.Prepare < b.Prepare:
		return -1
	case a.Prepare > b.Prepare:
		return 1
	}
	return 0
}

// checkSame fails t unless got is exactly the appended events want, at
// revisions firstRev, firstRev+1, ... of stream.
func checkSame(t testing.TB, got []*esdb.RecordedEvent, stream string, firstRev uint64, want []esdb.EventData) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events of %s, want %d (revisions %s)", len(got), stream, len(want), revisions(got))
	}
	for i, ev := range got {
		w := want[i]
		if ev.StreamID != stream || ev.EventNumber != firstRev+uint64(i) || ev.EventID != w.EventID {
			t.Fatalf("event %d: got %s@%d id %s, want %s@%d id %s", i, ev.StreamID, ev.EventNumber, ev.EventID, stream, firstRev+uint64(i), w.EventID)
		}
		if ev.EventType != w.EventType || !bytes.Equal(ev.Data, w.Data) || !bytes.Equal(ev.UserMetadata, w.Metadata) {
			t.Fatalf("event %d (%s@%d): got type %q data %q metadata %q, want %q %q %q", i, stream, ev.EventNumber,
				ev.EventType, ev.Data, ev.UserMetadata, w.EventType, w.Data, w.Metadata)
		}
	}
}

// revisions renders the revisions of evs for failure messages.
func revisions(evs []*esdb.RecordedEvent) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, ev := range evs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 12 && len(evs) > 16 {
			fmt.Fprintf(&b, "... (%d more)", len(evs)-i)
			break
		}
		fmt.Fprintf(&b, "%s@%d", shortStream(ev.StreamID), ev.EventNumber)
	}
	b.WriteByte(']')
	return b.String()
}

func shortStream(s string) string {
	if len(s) > 12 {
		return s[:5] + "…" + s[len(s)-4:]
	}
	return s
}

// marker appends one event to a fresh stream and returns its $all position:
// a point in $all before everything a test appends afterwards.
func marker(t testing.TB, ctx context.Context, c *esdb.Client) esdb.Position {
	t.Helper()
	res := mustAppend(t, ctx, c, newID("conf-marker"), esdb.NoStream{}, newEvent("Marker", 0))
	return esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}
}

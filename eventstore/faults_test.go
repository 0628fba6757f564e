package eventstore_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// recoverWithin bounds how long the store may take to write again once the
// storage works: the re-probes back off to 2 s.
const recoverWithin = 10 * time.Second

// failingDisk is a filesystem whose syncs fail with ENOSPC while on.
type failingDisk struct {
	on    atomic.Bool
	syncs atomic.Int64 // syncs failed
}

func (d *failingDisk) fs() vfs.FS {
	return errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
			if d.on.Load() {
				d.syncs.Add(1)
				return &os.PathError{Op: "sync", Path: op.Path, Err: syscall.ENOSPC}
			}
		}
		return nil
	}))
}

// errorLog counts the error records of the store's logger.
type errorLog struct {
	slog.Handler
	mu   sync.Mutex
	msgs []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }

func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		l.mu.Lock()
		l.msgs = append(l.msgs, r.Message)
		l.mu.Unlock()
	}
	return nil
}

func (l *errorLog) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func startOn(t *testing.T, fs vfs.FS, dir string, log *errorLog) (*eventstore.Server, *esdb.Client) {
	t.Helper()
	srv, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: dir, FS: fs, Logger: slog.New(log)})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, esdbtest.Connect(t, srv.URL())
}

// checkCannotWrite checks the error a client gets while the disk fails:
// Unavailable, saying what is wrong.
func checkCannotWrite(t *testing.T, err error, reason string) {
	t.Helper()
	var s interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &s) {
		t.Fatalf("append on a failing disk: %v, want a gRPC status", err)
	}
	st := s.GRPCStatus()
	if st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "event store cannot write: "+reason) {
		t.Fatalf("append on a failing disk: %v %q, want Unavailable saying it cannot write (%s)", st.Code(), st.Message(), reason)
	}
}

// checkHealthService checks what the gRPC health service says, for both
// the whole server and the Streams service.
func checkHealthService(t *testing.T, srv *eventstore.Server, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, svc := range []string{"", "event_store.client.streams.Streams"} {
		r, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || r.GetStatus() != want {
			t.Fatalf("health of %q: %v %v, want %v", svc, r.GetStatus(), err, want)
		}
	}
}

// waitHealthy waits until the store writes again and returns how long it took.
func waitHealthy(t *testing.T, srv *eventstore.Server) time.Duration {
	t.Helper()
	t0 := time.Now()
	for srv.Healthy() != nil {
		if time.Since(t0) > recoverWithin {
			t.Fatalf("still unhealthy %v after the disk works again: %v", recoverWithin, srv.Healthy())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(t0)
}

// TestSyncFailureRecovers fails the disk's syncs under an idle store: the
// next append is refused with Unavailable (not acknowledged), the store
// reports itself unhealthy and logs one error however many appends fail,
// reads go on, and once syncs work again it writes again by itself, with
// every acknowledged event in place and a retry of the failed append
// recognised as the same append.
func TestSyncFailureRecovers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var disk failingDisk
	log := &errorLog{}
	srv, c := startOn(t, disk.fs(), t.TempDir(), log)
	s := streamName(t)
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, events(5, "Before")...); err != nil {
		t.Fatal(err)
	}

	disk.on.Store(true)
	failed := events(3, "Failed")
	_, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(4)}, failed...)
	checkCannotWrite(t, err, "disk full")
	if h := srv.Healthy(); !errors.Is(h, eventstore.ErrCannotWrite) || !strings.Contains(h.Error(), "disk full") {
		t.Fatalf("Healthy = %v, want ErrCannotWrite saying disk full", h)
	}
	checkHealthService(t, srv, healthpb.HealthCheckResponse_NOT_SERVING)
	for range 20 {
		t0 := time.Now()
		_, err := c.AppendToStream(ctx, streamName(t), esdb.AppendToStreamOptions{}, events(1, "Refused")...)
		checkCannotWrite(t, err, "disk full")
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("a refused append took %v", d)
		}
	}
	if got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 100); err != nil || len(got) != 5 {
		t.Fatalf("read during the outage: %d events, %v; want the 5 acknowledged", len(got), err)
	}
	// The store re-probes the disk meanwhile and stays unhealthy.
	for disk.syncs.Load() < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	if srv.Healthy() == nil {
		t.Fatal("healthy while every sync fails")
	}
	if n := log.count("cannot write"); n != 1 {
		t.Errorf("%d error lines about the failure, want 1", n)
	}

	disk.on.Store(false)
	took := waitHealthy(t, srv)
	t.Logf("writes again %v after the disk works (%d syncs failed meanwhile)", took, disk.syncs.Load())
	checkHealthService(t, srv, healthpb.HealthCheckResponse_SERVING)
	// The failed append's bytes reached the file, so the re-opened log may
	// hold it: the retry must then be the same append, not a second one.
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(4)}, failed...); err != nil {
		t.Fatalf("retry of the failed append: %v", err)
	}
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(7)}, events(1, "After")...); err != nil {
		t.Fatalf("append after recovery: %v", err)
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, e := range got {
		if e.Event.EventNumber != uint64(i) {
			t.Fatalf("event %d has revision %d", i, e.Event.EventNumber)
		}
		types = append(types, e.Event.EventType)
	}
	if want := "Before Before Before Before Before Failed Failed Failed After"; strings.Join(types, " ") != want {
		t.Fatalf("stream after recovery: %s, want %s", strings.Join(types, " "), want)
	}
	if n := log.count("cannot write"); n != 1 {
		t.Errorf("%d error lines about the failure, want 1", n)
	}
}

// TestSyncFailuresUnderLoad flips the disk's syncs off and on under
// concurrent appenders that retry with the same event IDs, as clients do:
// every acknowledged append is in its stream at the revision it was given,
// in $all order, exactly once.
func TestSyncFailuresUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var disk failingDisk
	srv, c := startOn(t, disk.fs(), t.TempDir(), &errorLog{})
	const writers = 8
	type acked struct {
		id  uuid.UUID
		rev uint64
	}
	acks := make([][]acked, writers)
	streams := make([]string, writers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var refused atomic.Int64
	for i := range writers {
		streams[i] = streamName(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := esdb.ExpectedRevision(esdb.NoStream{})
			for {
				select {
				case <-stop:
					return
				default:
				}
				evs := events(2, "Load")
				for {
					w, err := c.AppendToStream(ctx, streams[i], esdb.AppendToStreamOptions{ExpectedRevision: next}, evs...)
					if err == nil {
						acks[i] = append(acks[i], acked{evs[0].EventID, w.NextExpectedVersion - 1}, acked{evs[1].EventID, w.NextExpectedVersion})
						next = esdb.Revision(w.NextExpectedVersion)
						break
					}
					refused.Add(1)
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
		}()
	}
	for range 3 {
		time.Sleep(150 * time.Millisecond)
		disk.on.Store(true)
		time.Sleep(150 * time.Millisecond)
		// The writers' next sync fails; on a loaded machine it may come
		// later than the sleep, so wait for it (bounded) before asking.
		for deadline := time.Now().Add(10 * time.Second); srv.Healthy() == nil && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if srv.Healthy() == nil {
			t.Error("healthy while every sync fails")
		}
		disk.on.Store(false)
		waitHealthy(t, srv)
	}
	time.Sleep(150 * time.Millisecond)
	close(stop)
	wg.Wait()

	total := 0
	for i, s := range streams {
		got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uuid.UUID]bool{}
		for j, e := range got {
			if e.Event.EventNumber != uint64(j) || seen[e.Event.EventID] {
				t.Fatalf("%s: event %d is revision %d (or a repeat of %v)", s, j, e.Event.EventNumber, e.Event.EventID)
			}
			if j > 0 && e.Event.Position.Commit <= got[j-1].Event.Position.Commit {
				t.Fatalf("%s: revision %d is at position %d, after %d", s, j, e.Event.Position.Commit, got[j-1].Event.Position.Commit)
			}
			seen[e.Event.EventID] = true
		}
		for _, a := range acks[i] {
			if a.rev >= uint64(len(got)) || got[a.rev].Event.EventID != a.id {
				t.Fatalf("%s: acknowledged event %v at revision %d is not there", s, a.id, a.rev)
			}
		}
		total += len(acks[i])
	}
	if refused.Load() == 0 {
		t.Fatal("no append was refused: the disk never failed under load")
	}
	t.Logf("%d acknowledged events checked, %d appends refused and retried", total, refused.Load())
}

package esdb_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore"
)

// serveGRPC serves a gRPC server with the health service when hs is not
// nil, and returns its esdb:// connection string.
func serveGRPC(t *testing.T, hs *health.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	if hs != nil {
		healthpb.RegisterHealthServer(g, hs)
	}
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	return "esdb://" + lis.Addr().String() + "?tls=false"
}

// TestHealthFollowsTheServer asks a server's gRPC health service, as the
// command role's readiness does for a store in another process: SERVING is
// ready, NOT_SERVING is a storage failure (ErrCannotWrite), and a server
// without the service (EventStoreDB) is ErrNoHealthService, so the caller
// falls back on what its appends saw.
func TestHealthFollowsTheServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hs := health.NewServer()
	h, err := esdb.DialHealth(serveGRPC(t, hs))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Check(ctx); err != nil {
		t.Fatalf("SERVING: %v", err)
	}
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	var sf *commands.StorageFailure
	if err := h.Check(ctx); !errors.As(err, &sf) || !errors.Is(err, commands.ErrCannotWrite) || !errors.Is(err, commands.ErrUnavailable) {
		t.Fatalf("NOT_SERVING: %v, want a StorageFailure", err)
	}
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	if err := h.Check(ctx); err != nil {
		t.Fatalf("SERVING again: %v", err)
	}

	none, err := esdb.DialHealth(serveGRPC(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	if err := none.Check(ctx); !errors.Is(err, esdb.ErrNoHealthService) {
		t.Fatalf("no health service: %v, want ErrNoHealthService", err)
	}
}

// TestStoreSaysTheDiskIsFull runs the Store on an embedded event store
// whose syncs fail with ENOSPC: appends fail with a StorageFailure that
// says the disk is full (also once the breaker is open), WriteHealth and
// the store's gRPC health say so, and both clear once the disk works.
func TestStoreSaysTheDiskIsFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var full atomic.Bool
	fs := errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
			if full.Load() {
				return &os.PathError{Op: "sync", Path: op.Path, Err: syscall.ENOSPC}
			}
		}
		return nil
	}))
	srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: t.TempDir(), FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s, err := esdb.Open(srv.URL(), esdb.Options{FailureThreshold: 2, BreakerTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h, err := esdb.DialHealth(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ev := func() []commands.Proposed {
		return []commands.Proposed{{ID: uuid.New(), Type: "TestHappened", Data: []byte(`{}`), Metadata: []byte(`{}`)}}
	}
	stream := "test-" + uuid.NewString()
	if _, err := s.Append(ctx, stream, commands.NoStream, ev()); err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	for i := range 4 { // the last ones meet the open breaker
		_, err := s.Append(ctx, "test-"+uuid.NewString(), commands.NoStream, ev())
		var sf *commands.StorageFailure
		if !errors.As(err, &sf) || !strings.Contains(sf.Reason, "disk full") || !errors.Is(err, commands.ErrUnavailable) {
			t.Fatalf("append #%d on a full disk: %v, want a StorageFailure saying the disk is full", i, err)
		}
	}
	if err := s.WriteHealth(); !errors.Is(err, commands.ErrCannotWrite) {
		t.Fatalf("WriteHealth() = %v on a full disk", err)
	}
	if err := h.Check(ctx); !errors.Is(err, commands.ErrCannotWrite) {
		t.Fatalf("gRPC health on a full disk: %v", err)
	}
	full.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Append(ctx, "test-"+uuid.NewString(), commands.NoStream, ev())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 10 s after the disk works: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.WriteHealth(); err != nil {
		t.Fatalf("WriteHealth() = %v after an append succeeded", err)
	}
	if err := h.Check(ctx); err != nil {
		t.Fatalf("gRPC health after recovery: %v", err)
	}
}

// Package eventstore is an embedded, durable, single-node event store that
// speaks the part of the EventStoreDB gRPC protocol the official client uses:
// appends, reads, catch-up subscriptions, deletes and stream metadata.
// Storage is Pebble; every append is fsynced before it is acknowledged, and
// concurrent appends share one sync (group commit).
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

// DefaultMaxAppendSize is EventStoreDB's default limit on the payload of one
// append (1 MiB).
const DefaultMaxAppendSize = 1 << 20

// maxMessageSize matches the official client, which accepts 17 MiB messages.
const maxMessageSize = 17 << 20

// Options configures an embedded event store.
type Options struct {
	Dir    string       // data directory; created if missing
	Logger *slog.Logger // nil means discard
	// Now is the clock that stamps events' "created"; nil means time.Now.
	Now func() time.Time
	// MaxAppendSize limits the bytes of data and metadata in one append;
	// 0 means DefaultMaxAppendSize.
	MaxAppendSize int
	// FS is the filesystem under Dir; nil means the operating system's.
	// Tests inject failing disks through it (Pebble's vfs/errorfs).
	FS vfs.FS
}

// Server is an embedded event store serving the EventStoreDB gRPC protocol.
type Server struct {
	addr   string
	log    *slog.Logger
	store  *store
	writer *writer
	mark   *marker
	grpc   *grpc.Server
	health *health.Server
	served chan struct{}

	closing   chan struct{} // closed first by Close: ends subscriptions
	closeOnce sync.Once
	closeErr  error
}

// Start opens the store in opts.Dir, listens on addr (for instance
// "127.0.0.1:0") and serves in the background until Close. The listener is
// bound when Start returns. It returns an error when the directory cannot be
// opened as a store or the address cannot be bound.
func Start(ctx context.Context, addr string, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("eventstore: no data directory")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxAppend := opts.MaxAppendSize
	if maxAppend <= 0 {
		maxAppend = DefaultMaxAppendSize
	}
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	if err := fs.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("eventstore: %w", err)
	}
	st, err := openStore(opts.Dir, fs, log)
	if err != nil {
		return nil, err
	}
	mark, err := startMarker(st, fs, opts.Dir)
	if err != nil {
		st.close()
		return nil, err
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		mark.close()
		st.close()
		return nil, fmt.Errorf("eventstore: listen on %s: %w", addr, err)
	}
	s := &Server{
		addr:    lis.Addr().String(),
		log:     log,
		store:   st,
		writer:  newWriter(st, now),
		mark:    mark,
		served:  make(chan struct{}),
		closing: make(chan struct{}),
	}
	s.grpc = grpc.NewServer(
		grpc.ForceServerCodecV2(newCodec()),
		grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.MaxSendMsgSize(maxMessageSize),
		// The client pings every 10 s, even with no call open.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 20 * time.Second}),
		grpc.InitialWindowSize(1<<20),
		grpc.InitialConnWindowSize(1<<20),
		grpc.NumStreamWorkers(256),
	)
	g, err := newGossip(s.addr, now)
	if err != nil {
		lis.Close()
		s.writer.stop()
		mark.close()
		st.close()
		return nil, fmt.Errorf("eventstore: %w", err)
	}
	// The standard gRPC health service tells a client in another process
	// what Healthy tells this one: NOT_SERVING while the store cannot
	// write.
	hs := health.NewServer()
	tell := func(err error) {
		st := healthpb.HealthCheckResponse_SERVING
		if err != nil {
			st = healthpb.HealthCheckResponse_NOT_SERVING
		}
		hs.SetServingStatus("", st)
		hs.SetServingStatus(streamsServiceName, st)
	}
	tell(nil)
	s.writer.onHealth.Store(&tell)
	healthpb.RegisterHealthServer(s.grpc, hs)
	s.health = hs
	registerServices(s.grpc, &streamsService{
		s:         st,
		w:         s.writer,
		log:       log,
		now:       now,
		closing:   s.closing,
		maxAppend: maxAppend,
	}, g)
	go func() {
		defer close(s.served)
		if err := s.grpc.Serve(lis); err != nil {
			log.Error("eventstore: serve", "err", err)
		}
	}()
	log.Info("event store listening", "addr", s.addr, "url", s.URL(), "dir", opts.Dir, "head", st.head.Load())
	return s, nil
}

// Healthy returns nil while the store can write. After a write or sync of
// its storage failed (a full disk, an I/O error) it returns an error
// wrapping ErrCannotWrite that says why and since when, until the store has
// re-opened its storage and a synced probe write succeeded. Meanwhile
// appends and deletes fail with gRPC Unavailable and reads go on. A
// readiness check should report not ready while Healthy is not nil. The
// standard gRPC health service (grpc.health.v1) says the same to other
// processes: NOT_SERVING while Healthy is not nil.
func (s *Server) Healthy() error { return s.writer.health() }

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// URL is the connection string the official client takes.
func (s *Server) URL() string { return "esdb://" + s.addr + "?tls=false" }

// Close stops serving (ending subscriptions with status Unavailable), waits
// for calls in flight, and closes the store. Calling it again returns the
// first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.health.Shutdown() // NOT_SERVING from now on
		close(s.closing)
		stopped := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			s.grpc.Stop()
			<-stopped
		}
		<-s.served
		s.writer.stop()
		s.closeErr = errors.Join(s.mark.close(), s.store.close())
	})
	return s.closeErr
}

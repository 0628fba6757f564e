package esdb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/vetclinic/clinic/commands"
)

// cannotWritePrefix begins the message of the embedded store's refusal of
// a write its storage could not take ("event store cannot write: disk full
// (writing the log failed); it takes writes again by itself ..."), sent
// with gRPC Unavailable. It is the store's documented wording.
const cannotWritePrefix = "event store cannot write: "

// storageFailure returns the server's reason when err is its refusal of a
// write because its storage failed, and nil for any other error.
func storageFailure(err error) *commands.StorageFailure {
	var gs interface{ GRPCStatus() *status.Status }
	if err == nil || !errors.As(err, &gs) {
		return nil
	}
	st := gs.GRPCStatus()
	if st.Code() != codes.Unavailable || !strings.HasPrefix(st.Message(), cannotWritePrefix) {
		return nil
	}
	reason, _, _ := strings.Cut(strings.TrimPrefix(st.Message(), cannotWritePrefix), ";")
	return &commands.StorageFailure{Reason: reason}
}

// writeFailure is the last refusal of a write for a failed storage.
type writeFailure struct {
	err *commands.StorageFailure
	at  time.Time
}

// writeHealth remembers whether the last append was refused because the
// store's storage failed, until one succeeds.
type writeHealth struct{ last atomic.Pointer[writeFailure] }

func (h *writeHealth) observe(err error) {
	if err == nil {
		h.last.Store(nil)
		return
	}
	if f := storageFailure(err); f != nil {
		h.last.Store(&writeFailure{err: f, at: time.Now()})
	}
}

// WriteHealth returns a *commands.StorageFailure while the newest append
// was refused because the store's storage failed and none has succeeded
// since, for at most the breaker's open period after that refusal (so
// that, with no other way to ask the store, traffic comes back to probe
// it), and nil otherwise. A readiness check can use it when the server has
// no health service.
func (s *Store) WriteHealth() error {
	f := s.writes.last.Load()
	if f == nil || time.Since(f.at) > s.opts.BreakerTimeout {
		return nil
	}
	return f.err
}

// ErrNoHealthService: the server does not implement the standard gRPC
// health service (EventStoreDB and KurrentDB do not), so only a write can
// tell whether it can write.
var ErrNoHealthService = errors.New("esdb: the server has no gRPC health service")

// Health asks an event store's standard gRPC health service (the embedded
// store's grpc.health.v1) whether it serves, over its own connection.
type Health struct{ conn *grpc.ClientConn }

// DialHealth returns a Health for the server of the connection string url
// (its first host). It does not connect until the first Check. Errors: a
// malformed url.
func DialHealth(url string) (*Health, error) {
	cfg, err := client.ParseConnectionString(url)
	if err != nil {
		return nil, fmt.Errorf("esdb: parse connection string: %w", err)
	}
	addr := cfg.Address
	if addr == "" && len(cfg.GossipSeeds) > 0 {
		addr = cfg.GossipSeeds[0].String()
	}
	creds := insecure.NewCredentials()
	if !cfg.DisableTLS {
		creds = credentials.NewTLS(&tls.Config{RootCAs: cfg.RootCAs, InsecureSkipVerify: cfg.SkipCertificateVerification})
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("esdb: health connection to %s: %w", addr, err)
	}
	return &Health{conn: conn}, nil
}

// Check returns nil while the server says SERVING. Errors: a
// *commands.StorageFailure when it says NOT_SERVING (it cannot write, or
// is closing), ErrNoHealthService when it has no health service, and an
// error wrapping commands.ErrUnavailable when it does not answer.
func (h *Health) Check(ctx context.Context) error {
	res, err := healthpb.NewHealthClient(h.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	switch {
	case status.Code(err) == codes.Unimplemented:
		return ErrNoHealthService
	case err != nil:
		return fmt.Errorf("event store health: %w: %v", commands.ErrUnavailable, err)
	case res.GetStatus() != healthpb.HealthCheckResponse_SERVING:
		return &commands.StorageFailure{Reason: "the event store reports " + res.GetStatus().String()}
	}
	return nil
}

// Close closes the connection.
func (h *Health) Close() error { return h.conn.Close() }

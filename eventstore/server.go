package eventstore

import (
	"context"
	"errors"
	"log/slog"
)

// Options configures an embedded event store.
type Options struct {
	Dir    string       // data directory; created if missing
	Logger *slog.Logger // nil means discard
}

// Server is an embedded event store serving the EventStoreDB gRPC protocol.
type Server struct{ addr string }

// Start opens the store in opts.Dir, listens on addr (for instance
// "127.0.0.1:0") and serves in the background until Close.
func Start(ctx context.Context, addr string, opts Options) (*Server, error) {
	return nil, errors.New("eventstore: not implemented yet")
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// URL is the connection string the official client takes.
func (s *Server) URL() string { return "esdb://" + s.addr + "?tls=false" }

// Close stops serving (ending subscriptions) and closes the store.
func (s *Server) Close() error { return nil }

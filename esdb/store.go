// Package esdb adapts the official EventStoreDB client to both sides. For
// the command side, Store: reads and appends with the expected revision,
// every call through a circuit breaker and a bound on calls in flight, so
// that when the store is down or saturated commands fail fast with
// commands.ErrUnavailable instead of piling up. For the read side, Source:
// $all for the projections runtime (subscriptions with a server-side
// filter, its head, counts). Both call the client through one guard
// against its hanging calls, and log through one adapter.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/sony/gobreaker/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vetclinic/clinic/commands"
)

// Options configures a Store. Zero values mean the defaults.
type Options struct {
	// BreakerTimeout is how long the breaker stays open before it lets one
	// probe call through (half-open). Default 5s.
	BreakerTimeout time.Duration
	// FailureThreshold is how many consecutive infrastructure failures open
	// the breaker. Default 5.
	FailureThreshold uint32
	// MaxInFlight bounds concurrent calls to the store. Default 256.
	MaxInFlight int
	// QueueWait is how long a call waits for a free in-flight place before
	// it fails with ErrUnavailable. Default 100ms.
	QueueWait time.Duration
	// CallTimeout bounds one call. Default 10s.
	CallTimeout time.Duration
	// StallTimeout is how long a call waits for an answer while no other
	// call gets one either: then the store is taken for down (frozen, or
	// the network drops everything), the call fails and the breaker opens
	// at once, so later calls fail fast instead of each waiting out
	// CallTimeout. A slow call while others are answered waits on, up to
	// CallTimeout. Default 2s.
	StallTimeout time.Duration
	// MaxDiscoverAttempts overrides the client's discovery attempts (each
	// 100ms apart) when it (re)connects. Default: the connection string's.
	MaxDiscoverAttempts int
	// Logger receives state changes of the breaker and the client's own
	// log lines (at debug level). Default discards.
	Logger *slog.Logger
	// OnAppend, when set, learns how long each Append took and its error
	// (nil, commands.ErrConcurrency, or an unavailable store), for metrics.
	OnAppend func(d time.Duration, err error)
}

func (o *Options) defaults() {
	if o.BreakerTimeout <= 0 {
		o.BreakerTimeout = 5 * time.Second
	}
	if o.FailureThreshold == 0 {
		o.FailureThreshold = 5
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 256
	}
	if o.QueueWait <= 0 {
		o.QueueWait = 100 * time.Millisecond
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 10 * time.Second
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Store is a commands.Store on EventStoreDB. It is safe for concurrent use.
type Store struct {
	opts    Options
	cfg     *client.Configuration // nil when the client was given, not opened
	breaker *gobreaker.CircuitBreaker[struct{}]
	slots   chan struct{}
	writes  writeHealth // whether appends are refused for a failed storage (health.go)
	// lastAnswer is when a call last got an answer of the store (UnixNano);
	// stalled is set by a call that waited StallTimeout past it, for the
	// breaker to open on that one failure.
	lastAnswer atomic.Int64
	stalled    atomic.Bool

	mu     sync.Mutex
	client *client.Client
	closed bool
}

var _ commands.Store = (*Store)(nil)

// Open returns a Store connected to the server at url (an esdb:// or
// esdb+discover:// connection string). It owns its client: when the client
// gives up reconnecting and closes itself (as the official client does after
// its discovery attempts fail), the Store makes a new one on a later call.
func Open(url string, opts Options) (*Store, error) {
	opts.defaults()
	cfg, err := client.ParseConnectionString(url)
	if err != nil {
		return nil, fmt.Errorf("esdb: parse connection string: %w", err)
	}
	if opts.MaxDiscoverAttempts > 0 {
		cfg.MaxDiscoverAttempts = opts.MaxDiscoverAttempts
	}
	cfg.Logger = ClientLogger(opts.Logger.With("component", "esdb-client"))
	s := newStore(opts)
	s.cfg = cfg
	return s, nil
}

// Wrap returns a Store on an existing client, which stays the caller's to
// close. If that client closes itself, the Store stays unavailable.
func Wrap(c *client.Client, opts Options) *Store {
	opts.defaults()
	s := newStore(opts)
	s.client = c
	return s
}

func newStore(opts Options) *Store {
	s := &Store{opts: opts, slots: make(chan struct{}, opts.MaxInFlight)}
	s.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "eventstore",
		MaxRequests: 1,
		Timeout:     opts.BreakerTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return s.stalled.Swap(false) || c.ConsecutiveFailures >= opts.FailureThreshold
		},
		// Only infrastructure failures count: a wrong expected version or a
		// missing stream is the store working as it should.
		IsSuccessful: func(err error) bool { return err == nil || !isInfrastructure(err) },
		IsExcluded:   func(err error) bool { return errors.Is(err, errCallerGone) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			opts.Logger.Warn("event store circuit breaker", "from", from.String(), "to", to.String())
		},
	})
	return s
}

// Close closes the client if the Store opened it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.cfg != nil && s.client != nil {
		err := s.client.Close()
		s.client = nil
		return err
	}
	return nil
}

// RetryAfter is a hint for clients refused with ErrUnavailable: the
// breaker's open period.
func (s *Store) RetryAfter() time.Duration { return s.opts.BreakerTimeout }

// BreakerState names the circuit breaker's state: "closed" (calls go
// through), "open" (calls fail fast) or "half-open" (one probe goes through).
func (s *Store) BreakerState() string { return s.breaker.State().String() }

// errCallerGone marks a call whose caller's context ended: it says nothing
// about the store's health.
var errCallerGone = errors.New("esdb: caller gone")

// getClient returns the current client, making one if needed.
func (s *Store) getClient() (*client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("esdb: store closed")
	}
	if s.client == nil {
		if s.cfg == nil {
			return nil, errors.New("esdb: client closed")
		}
		c, err := client.NewClient(s.cfg)
		if err != nil {
			return nil, err
		}
		s.client = c
	}
	return s.client, nil
}

// dropClient forgets c after it closed itself or hung, so the next call
// makes a new one. c is not closed: closing the client while a call is
// blocked on it makes that call panic (send on a closed channel).
func (s *Store) dropClient(c *client.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == c && s.cfg != nil {
		s.client = nil
	}
}

// call runs fn through the in-flight bound and the breaker. Infrastructure
// failures, an open breaker and a full queue come back wrapping
// commands.ErrUnavailable.
func (s *Store) call(ctx context.Context, op string, fn func(ctx context.Context, c *client.Client) error) error {
	select {
	case s.slots <- struct{}{}:
	default:
		t := time.NewTimer(s.opts.QueueWait)
		select {
		case s.slots <- struct{}{}:
			t.Stop()
		case <-t.C:
			return fmt.Errorf("%s: %w (too many calls in flight)", op, commands.ErrUnavailable)
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	defer func() { <-s.slots }()

	start := time.Now()
	_, err := s.breaker.Execute(func() (struct{}, error) {
		c, err := s.getClient()
		if err != nil {
			return struct{}{}, err
		}
		stall, stop := s.watchStall(start)
		defer stop()
		_, err = guardStall(ctx, s.opts.CallTimeout, stall, func(ctx context.Context) (struct{}, error) {
			err := fn(ctx, c)
			if ctx.Err() == nil {
				s.lastAnswer.Store(time.Now().UnixNano())
			}
			return struct{}{}, err
		})
		if errors.Is(err, errStalled) {
			s.stalled.Store(true)
		}
		if errors.Is(err, errNoAnswer) && ctx.Err() == nil {
			s.dropClient(c) // our own timeout: the client may be stuck for good
		}
		if isClosed(err) {
			s.dropClient(c)
		}
		if err != nil && ctx.Err() != nil {
			return struct{}{}, fmt.Errorf("%w: %w", errCallerGone, ctx.Err())
		}
		return struct{}{}, err
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		if f := s.WriteHealth(); f != nil {
			return fmt.Errorf("%s: %w (circuit open)", op, f) // say why it opened
		}
		return fmt.Errorf("%s: %w (circuit open)", op, commands.ErrUnavailable)
	case errors.Is(err, errCallerGone):
		return fmt.Errorf("%s: %w", op, ctx.Err())
	case storageFailure(err) != nil:
		return fmt.Errorf("%s: %w", op, storageFailure(err))
	case isInfrastructure(err):
		return fmt.Errorf("%s: %w: %v", op, commands.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isInfrastructure reports whether err means the store could not do its
// job (unreachable, timed out, overloaded, broken), as opposed to an answer
// such as a wrong expected version.
func isInfrastructure(err error) bool {
	if err == nil || errors.Is(err, commands.ErrConcurrency) || errors.Is(err, errCallerGone) {
		return false
	}
	var e *client.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case client.ErrorCodeWrongExpectedVersion, client.ErrorCodeResourceNotFound, client.ErrorCodeStreamDeleted:
			return false
		}
	}
	// A request the server refused as malformed or too large is this
	// process's fault, not the store's health.
	return status.Code(err) != codes.InvalidArgument
}

func isClosed(err error) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Code() == client.ErrorCodeConnectionClosed
}

// Read implements commands.Store.
func (s *Store) Read(ctx context.Context, stream string, from uint64) ([]commands.Recorded, error) {
	var out []commands.Recorded
	err := s.call(ctx, "read "+stream, func(ctx context.Context, c *client.Client) error {
		out = out[:0]
		rs, err := c.ReadStream(ctx, stream, client.ReadStreamOptions{From: client.Revision(from)}, math.MaxInt64)
		if err != nil {
			return notFoundIsEmpty(err)
		}
		defer rs.Close()
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return notFoundIsEmpty(err)
			}
			r := ev.Event
			if r == nil {
				continue
			}
			out = append(out, commands.Recorded{
				ID: r.EventID, Type: r.EventType, Data: r.Data, Revision: r.EventNumber, Position: r.Position.Commit,
				Metadata: r.UserMetadata,
			})
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func notFoundIsEmpty(err error) error {
	var e *client.Error
	if errors.As(err, &e) && e.Code() == client.ErrorCodeResourceNotFound {
		return nil
	}
	return err
}

// Append implements commands.Store. A wrong expected version is
// commands.ErrConcurrency.
func (s *Store) Append(ctx context.Context, stream string, expected int64, events []commands.Proposed) (_ commands.Written, err error) {
	var exp client.ExpectedRevision = client.NoStream{}
	if expected >= 0 {
		exp = client.Revision(uint64(expected))
	}
	data := make([]client.EventData, len(events))
	for i, e := range events {
		data[i] = client.EventData{EventID: e.ID, EventType: e.Type, ContentType: client.ContentTypeJson, Data: e.Data, Metadata: e.Metadata}
	}
	var w commands.Written
	if s.opts.OnAppend != nil {
		start := time.Now()
		defer func() { s.opts.OnAppend(time.Since(start), err) }()
	}
	err = s.call(ctx, "append to "+stream, func(ctx context.Context, c *client.Client) error {
		res, err := c.AppendToStream(ctx, stream, client.AppendToStreamOptions{ExpectedRevision: exp}, data...)
		s.writes.observe(err)
		if err != nil {
			var e *client.Error
			if errors.As(err, &e) && e.Code() == client.ErrorCodeWrongExpectedVersion {
				return fmt.Errorf("%w: %v", commands.ErrConcurrency, err)
			}
			return err
		}
		w = commands.Written{Revision: res.NextExpectedVersion, Position: res.CommitPosition}
		return nil
	})
	if err != nil {
		return commands.Written{}, err // w may still be written by an abandoned call
	}
	return w, nil
}

// Ping checks that the store answers (for readiness): it reads a stream
// that need not exist. Errors: commands.ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.Read(ctx, "clinic-ping", 0)
	return err
}

// Package queries is the read side's questions and who may ask them: a
// customer's reservations, a doctor's day, the billing ledger and the
// doctors' availability. It decides who may see a reservation, resolves the
// live copy of each read model, and can wait until a view has caught up
// with a position a command returned (read-your-writes). The reads
// themselves (collections, index keys, documents) belong to the read
// models, in projections/lookup, projections/ledger and
// projections/availability.
package queries

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// Errors. ErrNotFound is also the answer when the caller may not see what
// exists, so ids cannot be probed.
var (
	ErrNotFound = errors.New("queries: not found")
	ErrBehind   = errors.New("queries: the view has not caught up with the requested position yet")
)

// Reader is the part of the read store queries use: documents and
// checkpoints to read, and the pointers to the live copies.
type Reader interface {
	projections.DocumentReader
	projections.Checkpoints
	Generations(ctx context.Context, name string) (projections.Generations, error)
}

// Viewer is who asks. A staff member sees everything; anyone else sees a
// reservation only when it was booked with their phone number (the subject
// of a customer token) or with the phone number they state beside its id.
type Viewer struct {
	Staff bool
	// Phone is the caller's own number (a customer token's subject).
	Phone string
	// ClaimedPhone is the number sent beside a reservation id
	// (X-Customer-Phone); it opens that reservation only.
	ClaimedPhone string
}

// Service answers queries.
type Service struct {
	store Reader
	// Changed, when set, signals commits of a projection in this process,
	// so read-your-writes waits wake at once; otherwise they poll.
	changed func(name string) <-chan struct{}
	pending func(ctx context.Context, name string, from projections.Position, upTo uint64) (bool, error)
	maxWait time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]cachedNS
}

type cachedNS struct {
	ns   string
	when time.Time
}

// nsTTL is how long a resolved live copy is reused: shorter than the grace
// a replaced copy is kept for after a rebuild's switch.
const nsTTL = 500 * time.Millisecond

// pollEvery is how often a read-your-writes wait looks at the checkpoint
// when no commit signal wakes it.
const pollEvery = 25 * time.Millisecond

// Options configures a Service.
type Options struct {
	Changed func(name string) <-chan struct{}
	// Pending, when set, reports whether projection name has an event of
	// interest after from and at or before upTo. A projection's checkpoint
	// only moves with the events it sees (and the server's occasional
	// filtered checkpoints), so a view can be complete for a position it
	// has not reached: Pending tells.
	Pending func(ctx context.Context, name string, from projections.Position, upTo uint64) (bool, error)
	MaxWait time.Duration // bound of a read-your-writes wait; default 3s
	Now     func() time.Time
}

// New returns a Service reading store.
func New(store Reader, o Options) *Service {
	if o.MaxWait <= 0 {
		o.MaxWait = 3 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: store, changed: o.Changed, pending: o.Pending, maxWait: o.MaxWait, now: o.Now, cache: map[string]cachedNS{}}
}

// namespace resolves the live copy of projection name.
func (s *Service) namespace(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	c, ok := s.cache[name]
	s.mu.Unlock()
	if ok && s.now().Sub(c.when) < nsTTL {
		return c.ns, nil
	}
	g, err := s.store.Generations(ctx, name)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", name, err)
	}
	ns := g.LiveNamespace(name)
	s.mu.Lock()
	s.cache[name] = cachedNS{ns: ns, when: s.now()}
	s.mu.Unlock()
	return ns, nil
}

// view resolves projection name's live copy and, when minPosition is set,
// waits (up to the bound) until it has processed that position. It returns
// the namespace and the position the copy is built up to.
func (s *Service) view(ctx context.Context, name string, minPosition uint64) (string, uint64, error) {
	deadline := s.now().Add(s.maxWait)
	for {
		var changed <-chan struct{}
		if s.changed != nil {
			changed = s.changed(name)
		}
		ns, err := s.namespace(ctx, name)
		if err != nil {
			return "", 0, err
		}
		cp, _, err := s.store.Checkpoint(ctx, ns)
		if err != nil {
			return "", 0, fmt.Errorf("checkpoint of %s: %w", ns, err)
		}
		if cp.Position.Commit >= minPosition {
			return ns, cp.Position.Commit, nil
		}
		behind := fmt.Errorf("%s at %d, asked for %d: %w", name, cp.Position.Commit, minPosition, ErrBehind)
		left := deadline.Sub(s.now())
		if s.pending != nil {
			// The event store may be slow to answer; the wait stays bounded
			// (a last look after the deadline gets one poll's time).
			pctx, cancel := context.WithTimeout(ctx, max(left, pollEvery))
			more, err := s.pending(pctx, name, cp.Position, minPosition)
			timedOut := pctx.Err() != nil && ctx.Err() == nil
			cancel()
			switch {
			case err != nil && timedOut:
				return "", cp.Position.Commit, behind
			case err != nil:
				return "", 0, fmt.Errorf("events pending for %s: %w", name, err)
			case !more:
				return ns, minPosition, nil // nothing it would show happened since
			}
			left = deadline.Sub(s.now())
		}
		if left <= 0 {
			return "", cp.Position.Commit, behind
		}
		t := time.NewTimer(min(left, pollEvery)) // another process's commits only show by polling
		select {
		case <-ctx.Done():
			t.Stop()
			return "", 0, ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

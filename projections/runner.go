package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// DefaultLinger is a busy runner's wait for a larger batch: small beside
// the live freshness target (p99 50 ms), large beside a commit's fsync.
const DefaultLinger = 2 * time.Millisecond

// Subscriber is anything that consumes $all with a durable checkpoint: a
// read-model projection, or another service such as the notice sender.
type Subscriber struct {
	// Name identifies the subscriber in checkpoints and parked events. It is
	// a constant: renaming it means starting again from the beginning.
	Name   string
	Filter Filter
	// Indexes names, per collection, the keys documents are looked up by.
	Indexes map[string][]string
	// Handle takes one event into the batch. It must be deterministic given
	// the documents it reads: after a failure the batch is re-run from its
	// start without the failed event.
	Handle func(ctx context.Context, tx *Tx, ev Event) error
	// Decode, if set, is run on each event ahead of Handle, concurrently
	// with the handling of earlier events; its result is ev.Decoded. An
	// error leaves Decoded nil (Handle decodes again and fails properly).
	Decode func(Event) (any, error)
}

// Runner keeps one subscriber's namespace up to date with $all: catch-up in
// batches, then live one event at a time, resubscribing after drops.
type Runner struct {
	Source     Source
	Store      Store
	Subscriber Subscriber
	Namespace  string
	Logger     *slog.Logger
	Now        func() time.Time
	BatchSize  int           // events per catch-up commit; default 5000
	Attempts   int           // tries before an event is parked; default 3
	MaxBackoff time.Duration // between resubscriptions; default 10s
	// Linger is how long a busy runner waits for more events before it
	// commits a batch that is not full: fewer, larger commits under load
	// (each a bbolt commit with its fsync), the checkpoint still in the same
	// commit. Busy means an event was already waiting when the runner came
	// back from its last commit; an idle runner commits a lone event at
	// once. Default DefaultLinger, negative for none.
	Linger time.Duration
	// OnCommit, if set, is called after every commit with the new checkpoint.
	OnCommit func(Checkpoint)
	// OnCaughtUp, if set, is called once each time the runner reaches the
	// head of $all (and after every commit while it stays live).
	OnCaughtUp func(Checkpoint)
	// Fence is the lease token every checkpoint it commits carries (see
	// Leases.Fence); zero when it runs under no lease.
	Fence uint64
	// Tracer, if set, records the handling of each event as a span linked
	// to the request that appended it.
	Tracer Tracer

	mu     sync.Mutex
	status Status
}

// Status is what a runner reports about itself.
type Status struct {
	Subscriber  string
	Namespace   string
	Checkpoint  Checkpoint
	Live        bool
	Drops       int
	Parked      int // parked by this runner since it started
	LastError   string
	LastErrorAt time.Time
}

// Status returns a snapshot of the runner's state.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *Runner) setError(err error) {
	r.mu.Lock()
	r.status.LastError, r.status.LastErrorAt = err.Error(), r.Now()
	r.mu.Unlock()
}

func (r *Runner) defaults() {
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.BatchSize <= 0 {
		r.BatchSize = 5000
	}
	if r.Attempts <= 0 {
		r.Attempts = 3
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 10 * time.Second
	}
	if r.Linger == 0 {
		r.Linger = DefaultLinger
	}
	r.Logger = r.Logger.With("subscriber", r.Subscriber.Name, "namespace", r.Namespace)
}

// Run processes events until ctx is done; it returns ctx's error. Failures
// of the source or the store end the current subscription, which is then
// resumed from the stored checkpoint after a backoff. A commit refused
// with ErrFenced (a newer lease holder runs the namespace) ends Run at
// once with that error: resuming could only be refused again.
func (r *Runner) Run(ctx context.Context) error {
	r.defaults()
	r.mu.Lock()
	r.status.Subscriber, r.status.Namespace = r.Subscriber.Name, r.Namespace
	r.mu.Unlock()
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = 50*time.Millisecond, r.MaxBackoff
	for {
		err := r.once(ctx, bo)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrFenced) {
			r.setError(err)
			r.Logger.Warn("a newer lease holder fenced the namespace; this runner stops", "err", err)
			return err
		}
		r.mu.Lock()
		r.status.Drops++
		r.status.Live = false
		drops := r.status.Drops
		r.mu.Unlock()
		r.setError(err)
		wait := bo.NextBackOff()
		level := slog.LevelWarn
		if errors.Is(err, ErrCannotWrite) {
			level = slog.LevelDebug // the store logged the outage once; this repeats each retry
		}
		r.Logger.Log(ctx, level, "subscription dropped; resubscribing from the checkpoint", "err", err, "drops", drops, "retryIn", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// once runs one subscription until it fails.
func (r *Runner) once(ctx context.Context, bo *backoff.ExponentialBackOff) error {
	for coll, keys := range r.Subscriber.Indexes {
		if err := r.Store.EnsureIndexes(ctx, r.Namespace, coll, keys); err != nil {
			return err
		}
	}
	cp, _, err := r.Store.Checkpoint(ctx, r.Namespace)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.status.Checkpoint = cp
	r.mu.Unlock()
	head, err := r.Source.Head(ctx, r.Subscriber.Filter)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := r.Source.Subscribe(ctx, cp.Position, r.Subscriber.Filter)
	if err != nil {
		return err
	}
	defer stream.Close()

	msgs := make(chan Message, 2*r.BatchSize)
	recvErr := make(chan error, 1)
	go func() {
		defer close(msgs)
		for {
			m, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			if m.Event != nil && r.Subscriber.Decode != nil {
				if d, err := r.Subscriber.Decode(*m.Event); err == nil {
					m.Event.Decoded = d
				}
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				recvErr <- ctx.Err()
				return
			}
		}
	}()

	live := !cp.Position.Less(head.Position)
	if live {
		r.reachedHead(cp)
	}
	for {
		batch, mark, caughtUp, ok := r.collect(ctx, msgs)
		committed := false
		if len(batch) > 0 || (mark != nil && cp.Position.Less(*mark)) {
			next, err := r.process(ctx, cp, batch, mark)
			if err != nil {
				return err
			}
			cp, committed = next, true
			bo.Reset()
		}
		if caughtUp || (!cp.Position.Less(head.Position) && len(msgs) == 0) {
			live = true
		}
		if live && (committed || caughtUp) {
			r.reachedHead(cp)
		}
		if committed && r.OnCommit != nil {
			r.OnCommit(cp)
		}
		if !ok {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return <-recvErr
		}
	}
}

func (r *Runner) reachedHead(cp Checkpoint) {
	r.mu.Lock()
	r.status.Live = true
	r.mu.Unlock()
	if r.OnCaughtUp != nil {
		r.OnCaughtUp(cp)
	}
}

// collect waits for one message, then takes whatever else is already
// queued, up to a batch: during catch-up the queue is full and batches are
// large; live, events come one at a time. A busy runner (a message was
// already waiting) lingers up to Linger for more before it returns a batch
// that is not full. ok is false when the stream ended.
func (r *Runner) collect(ctx context.Context, msgs <-chan Message) (batch []Event, mark *Position, caughtUp, ok bool) {
	take := func(m Message) {
		switch {
		case m.Event != nil:
			batch = append(batch, *m.Event)
			mark = nil
		case m.Checkpoint != nil:
			p := *m.Checkpoint
			mark = &p
		case m.CaughtUp:
			caughtUp = true
		}
	}
	busy := false
	select {
	case m, open := <-msgs:
		if !open {
			return nil, nil, false, false
		}
		busy = true
		take(m)
	default:
		select {
		case m, open := <-msgs:
			if !open {
				return nil, nil, false, false
			}
			take(m)
		case <-ctx.Done():
			return nil, nil, false, false
		}
	}
	var linger <-chan time.Time
	if busy && r.Linger > 0 {
		t := time.NewTimer(r.Linger)
		defer t.Stop()
		linger = t.C
	}
	for len(batch) < r.BatchSize {
		select {
		case m, open := <-msgs:
			if !open {
				return batch, mark, caughtUp, false
			}
			take(m)
			continue
		default:
		}
		if linger == nil {
			return batch, mark, caughtUp, true
		}
		select {
		case m, open := <-msgs:
			if !open {
				return batch, mark, caughtUp, false
			}
			take(m)
		case <-linger:
			return batch, mark, caughtUp, true
		case <-ctx.Done():
			return batch, mark, caughtUp, true
		}
	}
	return batch, mark, caughtUp, true
}

// process handles a batch and commits it with the checkpoint. An event
// whose handler fails is retried (the batch re-run from its start, since a
// failed handler may have left half its writes in the unit of work); after
// Attempts failures it is parked and the batch goes on without it. A
// failure to read the store is no fault of the event: it ends the
// subscription (resumed from the checkpoint after a backoff) and parks
// nothing.
func (r *Runner) process(ctx context.Context, cp Checkpoint, batch []Event, mark *Position) (Checkpoint, error) {
	skip := map[int]bool{}
	failures := map[int]int{}
	for {
		tx := newTx(ctx, r.Store, r.Namespace)
		failed := -1
		var ferr error
		var fctx context.Context // the failed event's span, for its logs
		for i, ev := range batch {
			if skip[i] {
				continue
			}
			if hctx, err := r.handle(ctx, tx, ev); err != nil {
				fctx = hctx
				if ctx.Err() != nil {
					return cp, ctx.Err()
				}
				if tx.readErr != nil {
					// The store, not the event, failed: nothing is committed,
					// and the subscription resumes from the checkpoint.
					return cp, fmt.Errorf("read store for event %s: %w", ev.ID, tx.readErr)
				}
				failed, ferr = i, err
				break
			}
		}
		if failed >= 0 {
			failures[failed]++
			ev := batch[failed]
			r.setError(fmt.Errorf("event %s (%s) at %v: %w", ev.ID, ev.Type, ev.Position, ferr))
			if failures[failed] >= r.Attempts {
				if err := r.park(fctx, ev, ferr, failures[failed]); err != nil {
					return cp, err
				}
				skip[failed] = true
			} else {
				r.Logger.WarnContext(fctx, "event failed; retrying", "event", ev.ID, "type", ev.Type, "attempt", failures[failed], "err", ferr)
				select {
				case <-ctx.Done():
					return cp, ctx.Err()
				case <-time.After(time.Duration(failures[failed]) * 10 * time.Millisecond):
				}
			}
			continue
		}
		writes, err := tx.writes()
		if err != nil {
			return cp, err
		}
		next := cp
		if len(batch) > 0 {
			last := batch[len(batch)-1]
			next.Position, next.EventTime = last.Position, last.Created
			next.Events += uint64(len(batch))
		}
		if mark != nil && next.Position.Less(*mark) {
			next.Position = *mark
		}
		next.UpdatedAt, next.Fence = r.Now().UTC(), r.Fence
		if err := r.Store.Commit(ctx, r.Namespace, writes, &next); err != nil {
			return cp, err
		}
		r.mu.Lock()
		r.status.Checkpoint = next
		r.mu.Unlock()
		return next, nil
	}
}

func (r *Runner) park(ctx context.Context, ev Event, cause error, attempts int) error {
	p := Parked{Subscriber: r.Subscriber.Name, Event: ev, Error: cause.Error(), Attempts: attempts, ParkedAt: r.Now().UTC()}
	if err := r.Store.Park(ctx, p); err != nil {
		return fmt.Errorf("park %s: %w", ev.ID, err)
	}
	r.mu.Lock()
	r.status.Parked++
	r.mu.Unlock()
	r.Logger.ErrorContext(ctx, "event parked after failing every attempt", "event", ev.ID, "type", ev.Type,
		"stream", ev.Stream, "position", ev.Position.Key(), "attempts", attempts, "err", cause)
	return nil
}

// ReplayParked runs a subscriber's parked events through its handler again,
// in position order, into namespace ns, without the position guard (later
// events have usually moved the documents on). Each event that now succeeds
// is unparked; the others stay parked with their new error. It returns how
// many succeeded. A failure to read the store stops the replay with that
// error, leaving the rest parked as they were. A projection whose folds
// depend on event order is better served by a rebuild.
func ReplayParked(ctx context.Context, store Store, sub Subscriber, ns string, now func() time.Time) (int, error) {
	parked, err := store.ParkedEvents(ctx, sub.Name)
	if err != nil {
		return 0, err
	}
	ok := 0
	for _, p := range parked {
		tx := newTx(ctx, store, ns)
		tx.force = true
		if herr := sub.Handle(ctx, tx, p.Event); herr != nil {
			if tx.readErr != nil {
				return ok, fmt.Errorf("replay %s: read store: %w", p.Event.ID, tx.readErr)
			}
			p.Error, p.Attempts, p.ParkedAt = herr.Error(), p.Attempts+1, now().UTC()
			if err := store.Park(ctx, p); err != nil {
				return ok, err
			}
			continue
		}
		writes, err := tx.writes()
		if err != nil {
			return ok, err
		}
		if err := store.Commit(ctx, ns, writes, nil); err != nil {
			return ok, err
		}
		if err := store.Unpark(ctx, sub.Name, p.Event.ID); err != nil {
			return ok, err
		}
		ok++
	}
	return ok, nil
}

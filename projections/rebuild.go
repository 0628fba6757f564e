package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Errors of Rebuild.
var (
	ErrRebuildRunning = errors.New("projections: a rebuild of this projection is already running")
	ErrNotRebuildable = errors.New("projections: this subscriber cannot be rebuilt")
)

// Progress is a rebuild's progress report.
type Progress struct {
	Projection string
	Namespace  string
	Done       uint64 // events folded into the new copy
	// Position is the $all commit position the copy has reached, Head the
	// last one of interest when the rebuild started: Position/Head is the
	// fraction done (positions count events on the embedded store and
	// bytes on EventStoreDB; both grow with the log). Counting the events
	// instead would read $all a second time beside the rebuild.
	Position uint64
	Head     uint64
	Resumed  bool
	Switched bool
}

// Rebuilder builds a fresh copy of a projection from the start of $all
// while the live one keeps serving, then switches the pointer to it and
// drops the old copy. An interrupted rebuild is resumed from the new copy's
// own checkpoint by the next Rebuild of the same projection.
type Rebuilder struct {
	Source    Source
	Store     Store
	Logger    *slog.Logger
	Now       func() time.Time
	BatchSize int
	// Grace is how long the old copy is kept after the switch, for readers
	// still holding its namespace; default 3s.
	Grace time.Duration
	// Lease is how long a rebuild's claim holds without a heartbeat: a
	// rebuild whose process died is resumed by the next one after it.
	// Default 15s.
	Lease time.Duration
}

// Rebuild rebuilds p, reporting progress to report (which may be nil). It
// returns ErrRebuildRunning when another live rebuild holds p.
func (b *Rebuilder) Rebuild(ctx context.Context, p Projection, report func(Progress)) error {
	if !p.Rebuildable {
		return ErrNotRebuildable
	}
	if b.Logger == nil {
		b.Logger = slog.New(slog.DiscardHandler)
	}
	if b.Now == nil {
		b.Now = time.Now
	}
	if b.Grace <= 0 {
		b.Grace = 3 * time.Second
	}
	if b.Lease <= 0 {
		b.Lease = 15 * time.Second
	}
	if report == nil {
		report = func(Progress) {}
	}
	name, owner := p.Subscriber.Name, uuid.NewString()
	gen, resumed, err := b.claim(ctx, name, owner)
	if err != nil {
		return err
	}
	ns := Namespace(name, gen)
	log := b.Logger.With("projection", name, "namespace", ns)
	log.Info("rebuild started", "resumed", resumed)
	bulk, _ := b.Store.(BulkLoader)
	if bulk != nil {
		if err := bulk.BulkLoad(ns, true); err != nil {
			b.release(context.WithoutCancel(ctx), name, owner)
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
	}
	// endBulk makes what the copy holds durable: before the switch, and on
	// the way out of an interrupted rebuild so the next one resumes it.
	endBulk := func() error {
		if bulk == nil {
			return nil
		}
		return bulk.BulkLoad(ns, false)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	prog := Progress{Projection: name, Namespace: ns, Resumed: resumed}
	if head, err := b.Source.Head(ctx, p.Subscriber.Filter); err == nil {
		prog.Head = head.Position.Commit
	}
	var mu sync.Mutex
	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	defer stopHeartbeat()
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		b.heartbeat(hbCtx, cancel, name, owner)
	}()

	caughtUp := make(chan Checkpoint, 1)
	r := &Runner{Source: b.Source, Store: b.Store, Subscriber: p.Subscriber, Namespace: ns, Logger: b.Logger, Now: b.Now,
		BatchSize: b.BatchSize,
		OnCommit: func(cp Checkpoint) {
			mu.Lock()
			prog.Done, prog.Position = cp.Events, cp.Position.Commit
			cur := prog
			mu.Unlock()
			report(cur)
		},
		OnCaughtUp: func(cp Checkpoint) {
			select {
			case caughtUp <- cp:
			default:
			}
		}}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(rctx)
	}()
	select {
	case <-caughtUp:
	case <-ctx.Done():
		stop()
		<-done
		if err := endBulk(); err != nil {
			log.Warn("sync an interrupted rebuild's copy", "err", err)
		}
		b.release(context.WithoutCancel(ctx), name, owner)
		return fmt.Errorf("rebuild %s: %w", name, context.Cause(ctx))
	}
	stop()
	<-done
	if err := endBulk(); err != nil {
		b.release(context.WithoutCancel(ctx), name, owner)
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	// The switch gives up the claim, which the heartbeat would take for a
	// lost one and cancel ctx, cutting the old copy's grace short.
	stopHeartbeat()
	<-hbDone
	old, err := b.switchTo(ctx, name, owner, gen)
	if err != nil {
		return err
	}
	mu.Lock()
	prog.Switched = true
	if st := r.Status(); st.Checkpoint.Events > prog.Done {
		prog.Done = st.Checkpoint.Events
	}
	cur := prog
	mu.Unlock()
	report(cur)
	log.Info("rebuild switched over", "old", old, "events", cur.Done)
	if old > 0 && old != gen {
		sleep(ctx, b.Grace)
		if err := b.Store.Drop(context.WithoutCancel(ctx), Namespace(name, old)); err != nil {
			return fmt.Errorf("rebuild %s: drop old copy: %w", name, err)
		}
	}
	return nil
}

// claim takes the building slot of name for owner: a fresh copy, or the
// copy of an abandoned rebuild (whose lease ran out) to resume.
func (b *Rebuilder) claim(ctx context.Context, name, owner string) (gen int, resumed bool, err error) {
	for {
		g, err := b.Store.Generations(ctx, name)
		if err != nil {
			return 0, false, err
		}
		next := g
		next.Owner, next.Heartbeat = owner, b.Now().UTC()
		if g.Building != 0 {
			if b.Now().Sub(g.Heartbeat) < b.Lease {
				return 0, false, fmt.Errorf("rebuild %s (copy %d, started by %s): %w", name, g.Building, g.Owner, ErrRebuildRunning)
			}
			resumed = true
		} else {
			next.Live = g.LiveCopy()
			next.Building = b.nextGen(ctx, name, next.Live)
			if err := b.Store.Drop(ctx, Namespace(name, next.Building)); err != nil {
				return 0, false, err
			}
		}
		ok, err := b.Store.SwapGenerations(ctx, name, g, next)
		if err != nil {
			return 0, false, err
		}
		if ok {
			return next.Building, resumed, nil
		}
	}
}

// release gives up an interrupted rebuild's claim at once (keeping its copy
// and checkpoint), so the next rebuild resumes it without waiting out the
// lease. A process that dies without releasing leaves the lease to expire.
func (b *Rebuilder) release(ctx context.Context, name, owner string) {
	g, err := b.Store.Generations(ctx, name)
	if err != nil || g.Owner != owner {
		return
	}
	next := g
	next.Owner, next.Heartbeat = "", time.Time{}
	b.Store.SwapGenerations(ctx, name, g, next)
}

// nextGen is a copy number above every one in use.
func (b *Rebuilder) nextGen(ctx context.Context, name string, live int) int {
	n := live
	if nss, err := b.Store.Namespaces(ctx); err == nil {
		for _, ns := range nss {
			if nm, g, ok := ParseNamespace(ns); ok && nm == name && g > n {
				n = g
			}
		}
	}
	return n + 1
}

// heartbeat renews the claim; losing it (another rebuild took over) cancels.
func (b *Rebuilder) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, name, owner string) {
	for sleep(ctx, b.Lease/5) {
		g, err := b.Store.Generations(ctx, name)
		if err != nil {
			continue
		}
		if g.Owner != owner {
			cancel(ErrRebuildRunning)
			return
		}
		next := g
		next.Heartbeat = b.Now().UTC()
		b.Store.SwapGenerations(ctx, name, g, next)
	}
}

// switchTo makes gen the live copy (a single pointer write) and returns the
// copy it replaced.
func (b *Rebuilder) switchTo(ctx context.Context, name, owner string, gen int) (int, error) {
	for {
		g, err := b.Store.Generations(ctx, name)
		if err != nil {
			return 0, err
		}
		if g.Owner != owner || g.Building != gen {
			return 0, fmt.Errorf("rebuild %s: lost the claim: %w", name, ErrRebuildRunning)
		}
		next := Generations{Live: gen}
		ok, err := b.Store.SwapGenerations(ctx, name, g, next)
		if err != nil {
			return 0, err
		}
		if ok {
			return g.Live, nil
		}
	}
}

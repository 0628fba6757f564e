package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Namespace is the namespace of copy gen of projection name.
func Namespace(name string, gen int) string { return name + "~" + strconv.Itoa(gen) }

// splitNamespace reverses Namespace; ok is false for a fixed namespace.
func splitNamespace(ns string) (name string, gen int, ok bool) {
	i := strings.LastIndexByte(ns, '~')
	if i < 0 {
		return "", 0, false
	}
	g, err := strconv.Atoi(ns[i+1:])
	return ns[:i], g, err == nil
}

// LiveNamespace returns the namespace that serves queries for projection
// name (its first copy when it was never built).
func LiveNamespace(ctx context.Context, store Store, name string) (string, error) {
	g, err := store.Generations(ctx, name)
	if err != nil {
		return "", err
	}
	return Namespace(name, max(g.Live, 1)), nil
}

// Projection is a subscriber as the Manager runs it. Rebuildable ones keep
// numbered copies (Namespace(name, n)) and can be rebuilt into a fresh copy
// while the live one serves; the others (notices: a rebuild must never send
// old messages again) keep one namespace, their Name.
type Projection struct {
	Subscriber  Subscriber
	Rebuildable bool
}

// Manager runs a process's projections, each on its live copy, following
// switches made by rebuilds (in this process or another one).
type Manager struct {
	Source       Source
	Store        Store
	Logger       *slog.Logger
	Now          func() time.Time
	Projections  []Projection
	PollInterval time.Duration // how often live pointers are re-read; default 1s
	// Grace is how long a copy this process stopped serving is kept for
	// readers still holding its namespace before it is dropped; default 3s.
	Grace     time.Duration
	BatchSize int

	once    sync.Once
	mu      sync.Mutex
	runners map[string]*Runner
	waiters map[string]chan struct{} // closed on the next commit
}

func (m *Manager) defaults() { m.once.Do(m.setDefaults) }

func (m *Manager) setDefaults() {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.PollInterval <= 0 {
		m.PollInterval = time.Second
	}
	if m.Grace <= 0 {
		m.Grace = 3 * time.Second
	}
	m.runners = map[string]*Runner{}
	m.waiters = map[string]chan struct{}{}
}

// Run runs every projection until ctx is done.
func (m *Manager) Run(ctx context.Context) error {
	m.defaults()
	var wg sync.WaitGroup
	for _, p := range m.Projections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.follow(ctx, p)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// follow runs p on its live copy, restarting on the new one after a switch.
func (m *Manager) follow(ctx context.Context, p Projection) {
	name := p.Subscriber.Name
	for ctx.Err() == nil {
		ns := name
		if p.Rebuildable {
			g, err := m.ensureLive(ctx, name)
			if err != nil {
				m.Logger.Error("read projection pointers", "projection", name, "err", err)
				sleep(ctx, m.PollInterval)
				continue
			}
			ns = Namespace(name, g)
		}
		r := &Runner{Source: m.Source, Store: m.Store, Subscriber: p.Subscriber, Namespace: ns, Logger: m.Logger,
			Now: m.Now, BatchSize: m.BatchSize, OnCommit: func(Checkpoint) { m.notify(name) }}
		m.mu.Lock()
		m.runners[name] = r
		m.mu.Unlock()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.Run(rctx)
		}()
		if p.Rebuildable {
			m.watch(rctx, name, ns)
		} else {
			<-rctx.Done()
		}
		cancel()
		<-done
		if p.Rebuildable && ctx.Err() == nil {
			go func() {
				if sleep(ctx, m.Grace) {
					m.dropIfStale(ctx, name, ns)
				}
			}()
		}
		m.notify(name)
	}
}

// dropIfStale drops a copy this process stopped serving, unless it is live
// or being built: the rebuild drops it too, but a commit of ours may have
// landed after that.
func (m *Manager) dropIfStale(ctx context.Context, name, ns string) {
	g, err := m.Store.Generations(ctx, name)
	if err != nil || ns == Namespace(name, g.Live) || ns == Namespace(name, g.Building) {
		return
	}
	if err := m.Store.Drop(ctx, ns); err != nil {
		m.Logger.Warn("drop an old copy", "namespace", ns, "err", err)
	}
}

// watch returns when the live copy of name is no longer ns (or ctx ends).
func (m *Manager) watch(ctx context.Context, name, ns string) {
	for sleep(ctx, m.PollInterval) {
		live, err := LiveNamespace(ctx, m.Store, name)
		if err == nil && live != ns {
			m.Logger.Info("projection switched to a rebuilt copy", "projection", name, "from", ns, "to", live)
			return
		}
	}
}

func (m *Manager) ensureLive(ctx context.Context, name string) (int, error) {
	for {
		g, err := m.Store.Generations(ctx, name)
		if err != nil || g.Live > 0 {
			return g.Live, err
		}
		next := g
		next.Live = 1
		if ok, err := m.Store.SwapGenerations(ctx, name, g, next); err != nil || ok {
			return 1, err
		}
	}
}

func (m *Manager) notify(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch, ok := m.waiters[name]; ok {
		close(ch)
		delete(m.waiters, name)
	}
}

// Changed returns a channel closed at the next commit of projection name in
// this process (for read-your-writes waits).
func (m *Manager) Changed(name string) <-chan struct{} {
	m.defaults()
	m.mu.Lock()
	defer m.mu.Unlock()
	ch, ok := m.waiters[name]
	if !ok {
		ch = make(chan struct{})
		m.waiters[name] = ch
	}
	return ch
}

// RunnerStatus returns the in-process state of projection name's runner;
// ok is false when this process does not run it.
func (m *Manager) RunnerStatus(name string) (Status, bool) {
	m.defaults()
	m.mu.Lock()
	r, ok := m.runners[name]
	m.mu.Unlock()
	if !ok {
		return Status{}, false
	}
	return r.Status(), true
}

// Projection returns the projection called name.
func (m *Manager) Projection(name string) (Projection, bool) {
	for _, p := range m.Projections {
		if p.Subscriber.Name == name {
			return p, true
		}
	}
	return Projection{}, false
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

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
	Total      int    // events to fold at the start (-1 while unknown)
	Resumed    bool
	Switched   bool
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

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	prog := Progress{Projection: name, Namespace: ns, Total: -1, Resumed: resumed}
	var mu sync.Mutex
	go func() {
		n, err := b.Source.Count(ctx, Position{}, p.Subscriber.Filter, 1<<31-1)
		if err == nil {
			mu.Lock()
			prog.Total = n
			mu.Unlock()
		}
	}()
	go b.heartbeat(ctx, cancel, name, owner)

	caughtUp := make(chan Checkpoint, 1)
	r := &Runner{Source: b.Source, Store: b.Store, Subscriber: p.Subscriber, Namespace: ns, Logger: b.Logger, Now: b.Now,
		BatchSize: b.BatchSize,
		OnCommit: func(cp Checkpoint) {
			mu.Lock()
			prog.Done = cp.Events
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
		b.release(context.WithoutCancel(ctx), name, owner)
		return fmt.Errorf("rebuild %s: %w", name, context.Cause(ctx))
	}
	stop()
	<-done
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
			next.Live = max(g.Live, 1)
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
			if nm, g, ok := splitNamespace(ns); ok && nm == name && g > n {
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

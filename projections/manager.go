package projections

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

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
	// Keeper, when set, runs each projection only while this process holds
	// the projection's lease (named after it), fencing every namespace it
	// runs with the lease's token: replicas of the projector share the
	// work, each projection applied by one of them at a time. Nil runs
	// every projection here, as a lone projector does.
	Keeper *Keeper
	// Tracer, if set, is every runner's (see Runner.Tracer).
	Tracer Tracer

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

// Run runs every projection until ctx is done (with a Keeper, each while
// this process holds its lease).
func (m *Manager) Run(ctx context.Context) error {
	m.defaults()
	var wg sync.WaitGroup
	for _, p := range m.Projections {
		wg.Go(func() {
			if m.Keeper == nil {
				m.follow(ctx, p, 0)
				return
			}
			m.Keeper.Hold(ctx, p.Subscriber.Name, func(ctx context.Context, l Lease) error {
				return m.follow(ctx, p, l.Token)
			})
		})
	}
	wg.Wait()
	return ctx.Err()
}

// follow runs p on its live copy, restarting on the new one after a switch.
// With a lease token (non-zero) it first fences each namespace it runs and
// its runners' commits carry the token; it returns ErrFenced when a newer
// holder fenced one, else ctx's error when ctx ends.
func (m *Manager) follow(ctx context.Context, p Projection, token uint64) error {
	name := p.Subscriber.Name
	defer func() {
		m.mu.Lock()
		delete(m.runners, name)
		m.mu.Unlock()
	}()
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
		if token > 0 {
			if err := m.Keeper.Leases.Fence(ctx, ns, token); err != nil {
				m.Logger.Error("fence the namespace", "projection", name, "namespace", ns, "err", err)
				sleep(ctx, m.PollInterval)
				continue
			}
		}
		r := &Runner{Source: m.Source, Store: m.Store, Subscriber: p.Subscriber, Namespace: ns, Logger: m.Logger,
			Now: m.Now, BatchSize: m.BatchSize, OnCommit: func(Checkpoint) { m.notify(name) }, Fence: token, Tracer: m.Tracer}
		m.mu.Lock()
		m.runners[name] = r
		m.mu.Unlock()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			err := r.Run(rctx)
			cancel() // fenced: stop watching too
			done <- err
		}()
		if p.Rebuildable {
			m.watch(rctx, name, ns)
		} else {
			<-rctx.Done()
		}
		cancel()
		if err := <-done; errors.Is(err, ErrFenced) {
			m.notify(name)
			return err
		}
		if p.Rebuildable && ctx.Err() == nil {
			go func() {
				if sleep(ctx, m.Grace) {
					m.dropIfStale(ctx, name, ns)
				}
			}()
		}
		m.notify(name)
	}
	return ctx.Err()
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

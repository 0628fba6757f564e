package admin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// ErrNotRunning is returned by StartRebuild when the Admin's Run is not
// running (the process is starting or stopping).
var ErrNotRunning = errors.New("admin: rebuilds are not being run")

// RebuildState is where a rebuild is.
type RebuildState string

// The states of a rebuild.
const (
	RebuildRunning RebuildState = "running"
	RebuildDone    RebuildState = "done" // switched to the new copy; the old one is dropped
	RebuildFailed  RebuildState = "failed"
)

// Rebuild is a rebuild started through the Admin: its progress while it
// runs, and how it ended.
type Rebuild struct {
	Projection string
	State      RebuildState
	StartedAt  time.Time
	SwitchedAt time.Time // when queries moved to the new copy; zero before
	FinishedAt time.Time // zero while it runs (the old copy is dropped after a grace)
	Progress   projections.Progress
	Error      string // why it failed
}

type rebuildStart struct {
	p projections.Projection
	r *Rebuild
}

// StartRebuild starts rebuilding projection name in the background, on
// Run's context rather than ctx, so the rebuild goes on when the caller
// goes away; poll it with Rebuild. It returns ErrUnknownProjection,
// projections.ErrRebuildRunning when this process is rebuilding it already,
// and ErrNotRunning when Run is not running. A rebuild that another process
// holds fails (its state says so), and the next start resumes it if that
// process died.
func (a *Admin) StartRebuild(ctx context.Context, name string) (Rebuild, error) {
	p, err := a.find(name)
	if err != nil {
		return Rebuild{}, err
	}
	a.mu.Lock()
	if r, ok := a.rebuilds[name]; ok && r.State == RebuildRunning {
		a.mu.Unlock()
		return *r, fmt.Errorf("rebuild %s: %w", name, projections.ErrRebuildRunning)
	}
	r := &Rebuild{Projection: name, State: RebuildRunning, StartedAt: a.now()}
	prev, hadPrev := a.rebuilds[name]
	a.rebuilds[name] = r
	started := *r
	a.mu.Unlock()
	select {
	case a.starts <- rebuildStart{p: p, r: r}:
		return started, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(5 * time.Second):
		err = ErrNotRunning
	}
	a.mu.Lock()
	if hadPrev {
		a.rebuilds[name] = prev
	} else {
		delete(a.rebuilds, name)
	}
	a.mu.Unlock()
	return Rebuild{}, fmt.Errorf("rebuild %s: %w", name, err)
}

// Rebuild returns the state of the last rebuild of projection name started
// in this process. It returns ErrUnknownProjection, or ErrNoRebuild when
// none was started.
func (a *Admin) Rebuild(name string) (Rebuild, error) {
	if _, err := a.find(name); err != nil {
		return Rebuild{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.rebuilds[name]
	if !ok {
		return Rebuild{}, fmt.Errorf("%w: %s", ErrNoRebuild, name)
	}
	return *r, nil
}

// Run runs the rebuilds StartRebuild starts until ctx ends, then waits for
// them to stop (a stopped rebuild is resumed by the next one).
func (a *Admin) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-a.starts:
			wg.Go(func() { a.rebuild(ctx, s) })
		}
	}
}

func (a *Admin) rebuild(ctx context.Context, s rebuildStart) {
	b := &projections.Rebuilder{Source: a.cfg.Source, Store: a.cfg.Store, Logger: a.log, Now: a.now}
	err := b.Rebuild(ctx, s.p, func(p projections.Progress) {
		a.mu.Lock()
		s.r.Progress = p
		if p.Switched && s.r.SwitchedAt.IsZero() {
			s.r.SwitchedAt = a.now()
		}
		a.mu.Unlock()
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	s.r.FinishedAt = a.now()
	if err != nil {
		s.r.State, s.r.Error = RebuildFailed, err.Error()
		a.log.Warn("rebuild failed", "projection", s.r.Projection, "err", err)
		return
	}
	s.r.State = RebuildDone
	a.log.Info("rebuild done", "projection", s.r.Projection, "copy", s.r.Progress.Namespace, "events", s.r.Progress.Done)
}

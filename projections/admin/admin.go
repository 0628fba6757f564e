// Package admin is projection administration on a read store and $all:
// status with lag, parked events and their replay, and rebuilds that run in
// the background while callers poll their progress. The HTTP API's staff
// routes under /api/v1/admin serve it; it knows nothing of HTTP.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// Errors of the admin. Each is wrapped with the projection's name.
var (
	ErrUnknownProjection = errors.New("admin: unknown projection")
	ErrNoRebuild         = errors.New("admin: no rebuild of this projection has run in this process")
)

// Config is what an Admin works on.
type Config struct {
	Source projections.Source
	Store  projections.Store
	// Manager, when this process runs the projections, adds the runners'
	// state (running, drops, last error) to the status.
	Manager *projections.Manager
	// Projections are the rebuildable read models, in the order status
	// lists them.
	Projections []projections.Projection
	// Others are the filters of the other subscribers sharing the read
	// store (one fixed namespace each, named after them), so their lag
	// counts only their events; a subscriber missing here is measured
	// against all the clinic's events.
	Others map[string]projections.Filter
	Logger *slog.Logger
	Now    func() time.Time
}

// Admin administers the projections of one read store. Build it with New;
// its rebuilds run while Run runs.
type Admin struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	starts chan rebuildStart

	mu       sync.Mutex
	rebuilds map[string]*Rebuild
}

// New returns an Admin for cfg.
func New(cfg Config) *Admin {
	a := &Admin{cfg: cfg, log: cfg.Logger, now: cfg.Now, starts: make(chan rebuildStart), rebuilds: map[string]*Rebuild{}}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Names returns the names of the rebuildable projections.
func (a *Admin) Names() []string {
	out := make([]string, 0, len(a.cfg.Projections))
	for _, p := range a.cfg.Projections {
		out = append(out, p.Subscriber.Name)
	}
	return out
}

// find returns the projection called name, or ErrUnknownProjection.
func (a *Admin) find(name string) (projections.Projection, error) {
	for _, p := range a.cfg.Projections {
		if p.Subscriber.Name == name {
			return p, nil
		}
	}
	return projections.Projection{}, fmt.Errorf("%w %q (projections: %v)", ErrUnknownProjection, name, a.Names())
}

// Parked returns the parked events of projection name, or of every
// subscriber when name is "". It returns ErrUnknownProjection for a name
// that is not a projection.
func (a *Admin) Parked(ctx context.Context, name string) ([]projections.Parked, error) {
	if name != "" {
		if _, err := a.find(name); err != nil {
			return nil, err
		}
	}
	return a.cfg.Store.ParkedEvents(ctx, name)
}

// ReplayParked runs projection name's parked events again on its live copy
// and returns how many now went through (the others stay parked). It
// returns ErrUnknownProjection for a name that is not a projection.
func (a *Admin) ReplayParked(ctx context.Context, name string) (int, error) {
	p, err := a.find(name)
	if err != nil {
		return 0, err
	}
	ns, err := projections.LiveNamespace(ctx, a.cfg.Store, name)
	if err != nil {
		return 0, err
	}
	return projections.ReplayParked(ctx, a.cfg.Store, p.Subscriber, ns, a.now)
}

package admin

import (
	"context"

	"github.com/vetclinic/clinic/projections"
)

// Status is where one subscriber stands: its live copy and the one being
// built, its checkpoint against the head of $all, its parked events and,
// when this process runs it, its runner.
type Status struct {
	Name        string
	Rebuildable bool
	Namespace   string // the live copy
	Building    string // the copy a rebuild is filling, or ""
	Checkpoint  uint64 // commit position the live copy has reached
	Events      uint64 // events the live copy has processed
	Head        uint64 // commit position of the last event of interest
	LagEvents   int    // events of interest after the checkpoint (at most maxLagCount)
	LagSeconds  float64
	Parked      int
	Drops       int // subscription drops of this process's runner
	Running     bool
	LastError   string
}

// maxLagCount bounds the events counted for the lag.
const maxLagCount = 1_000_000

// Statuses returns the status of every projection, then of every other
// subscriber that keeps a checkpoint in the store (the notice service).
func (a *Admin) Statuses(ctx context.Context) ([]Status, error) {
	var out []Status
	for _, p := range a.cfg.Projections {
		st, err := a.status(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	// Other subscribers keep one fixed namespace named after themselves.
	nss, err := a.cfg.Store.Namespaces(ctx)
	if err != nil {
		return nil, err
	}
	for _, ns := range nss {
		if projections.IsCopy(ns) {
			continue
		}
		if _, ok, err := a.cfg.Store.Checkpoint(ctx, ns); err != nil || !ok {
			continue
		}
		f, ok := a.cfg.Others[ns]
		if !ok {
			f = projections.ClinicFilter()
		}
		st, err := a.status(ctx, projections.Projection{Subscriber: projections.Subscriber{Name: ns, Filter: f}})
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Status returns the status of projection name, or ErrUnknownProjection.
func (a *Admin) Status(ctx context.Context, name string) (Status, error) {
	p, err := a.find(name)
	if err != nil {
		return Status{}, err
	}
	return a.status(ctx, p)
}

func (a *Admin) status(ctx context.Context, p projections.Projection) (Status, error) {
	name := p.Subscriber.Name
	st := Status{Name: name, Namespace: name, Rebuildable: p.Rebuildable}
	if p.Rebuildable {
		g, err := a.cfg.Store.Generations(ctx, name)
		if err != nil {
			return st, err
		}
		st.Namespace, st.Building = g.LiveNamespace(name), g.BuildingNamespace(name)
	}
	cp, _, err := a.cfg.Store.Checkpoint(ctx, st.Namespace)
	if err != nil {
		return st, err
	}
	st.Checkpoint, st.Events = cp.Position.Commit, cp.Events
	head, err := a.cfg.Source.Head(ctx, p.Subscriber.Filter)
	if err != nil {
		return st, err
	}
	st.Head = head.Position.Commit
	if cp.Position.Less(head.Position) {
		if st.LagEvents, err = a.cfg.Source.Count(ctx, cp.Position, p.Subscriber.Filter, maxLagCount); err != nil {
			return st, err
		}
		if !cp.EventTime.IsZero() {
			st.LagSeconds = head.Created.Sub(cp.EventTime).Seconds()
		} else if !head.Created.IsZero() {
			st.LagSeconds = a.now().Sub(head.Created).Seconds()
		}
	}
	parked, err := a.cfg.Store.ParkedEvents(ctx, name)
	if err != nil {
		return st, err
	}
	st.Parked = len(parked)
	if len(parked) > 0 {
		st.LastError = parked[len(parked)-1].Error
	}
	if a.cfg.Manager != nil {
		if rst, ok := a.cfg.Manager.RunnerStatus(name); ok {
			st.Running, st.Drops = true, rst.Drops
			if rst.LastError != "" {
				st.LastError = rst.LastError
			}
		}
	}
	return st, nil
}

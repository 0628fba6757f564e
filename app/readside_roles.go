package app

import (
	"context"
	"time"

	"github.com/vetclinic/clinic/console"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/admin"
	"github.com/vetclinic/clinic/projections/readmodels"
	"github.com/vetclinic/clinic/queries"
)

// readSide opens the read side once per process (the query, projector and
// notice roles share it).
func (e *serveEnv) readSide(ctx context.Context) (*readSide, error) {
	if e.read != nil {
		return e.read, nil
	}
	rs, err := openReadSide(ctx, e.cfg.Data, e.cfg.MongoURL, e.cfg.MongoDB, e.esdb, e.clinic.Location, e.log.With("component", "read"))
	if err != nil {
		return nil, err
	}
	e.read = rs
	e.closers = append(e.closers, rs.close)
	return rs, nil
}

// startProjector runs the read-model projections and serves their admin
// (status, parked events, rebuilds) as the API's staff routes.
func startProjector(ctx context.Context, e *serveEnv) error {
	rs, err := e.readSide(ctx)
	if err != nil {
		return err
	}
	log := e.log.With("component", "projector")
	if h, ok := rs.store.(interface{ Healthy() error }); ok {
		// The projector commits nothing while the read store cannot write.
		e.ready = append(e.ready, readyCheck{Name: "readstore writes", Check: func(context.Context) error { return h.Healthy() }})
	}
	all := readmodels.All(rs.loc)
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Subscriber.Name
	}
	e.metrics.Leases(names...)
	rs.manager = &projections.Manager{Source: rs.source, Store: rs.store, Logger: log, Projections: all, Keeper: e.leaseKeeper(rs),
		Tracer: e.subscriberTracer()}
	e.workers = append(e.workers, worker{name: "projector", role: "projector", run: rs.manager.Run})
	a := admin.New(admin.Config{Source: rs.source, Store: rs.store, Manager: rs.manager, Projections: readmodels.All(rs.loc),
		Others: otherFilters(), Logger: log.With("part", "admin")})
	e.api.Admin = a
	e.metrics.Projections(projectionStatuses(a))
	e.workers = append(e.workers, worker{name: "projection rebuilds", role: "projector", run: a.Run})
	return nil
}

// otherFilters are the filters of the subscribers that share the runtime
// with the projections, by namespace, so their lag counts only their events.
func otherFilters() map[string]projections.Filter {
	return map[string]projections.Filter{docstore.Namespace: {EventTypePrefixes: notice.Types()}}
}

// startQuery serves the customers' lookup and the staff read routes.
func startQuery(ctx context.Context, e *serveEnv) error {
	rs, err := e.readSide(ctx)
	if err != nil {
		return err
	}
	// The projector role may start after this one; its commit signal wakes
	// read-your-writes waits at once (without it they poll).
	changed := func(name string) <-chan struct{} {
		if rs.manager == nil {
			return nil
		}
		return rs.manager.Changed(name)
	}
	filters := map[string]projections.Filter{}
	for _, p := range readmodels.All(rs.loc) {
		filters[p.Subscriber.Name] = p.Subscriber.Filter
	}
	pending := func(ctx context.Context, name string, from projections.Position, upTo uint64) (bool, error) {
		f, ok := filters[name]
		if !ok {
			return true, nil
		}
		return rs.source.AnyUpTo(ctx, from, upTo, f)
	}
	// The console lives with the reads it shows (and with the embedded
	// OpenID Provider it signs in with).
	e.api.Console = console.Handler(console.Config{Issuer: e.cfg.OIDCIssuer, Clinic: e.clinic.Name})
	e.api.Lookup = queries.New(rs.store, queries.Options{Changed: changed, Pending: pending})
	links, err := e.statusLinks()
	if err != nil {
		return err
	}
	e.api.StatusLinks, e.api.StatusLinkExpiry = links, e.cfg.StatusLinkExpiry
	if max := e.cfg.ReadyMaxLag; max > 0 {
		for _, p := range readmodels.All(rs.loc) {
			e.ready = append(e.ready, lagCheck(rs.store, rs.source, p.Subscriber, max, time.Now))
		}
	}
	return nil
}

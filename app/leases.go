package app

import (
	"fmt"
	"os"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/projections"
)

// leaseKeeper returns the process's keeper of the leases in the read store
// rs, built once: the projector role holds a lease per projection through
// it and the notice role one for the notice service, so any number of
// replicas of either can run, each subscriber applied by one of them at a
// time. It is nil when the store keeps no leases.
func (e *serveEnv) leaseKeeper(rs *readSide) *projections.Keeper {
	if rs.keeper != nil {
		return rs.keeper
	}
	ls, ok := rs.store.(projections.Leases)
	if !ok {
		return nil
	}
	host, err := os.Hostname()
	if err != nil {
		host = "clinic"
	}
	// Unique per process: a restarted replica is a new holder, and its
	// predecessor's lease runs out (or, in the embedded store, is freed
	// when the file is opened).
	holder := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
	rs.keeper = &projections.Keeper{Leases: ls, Holder: holder, TTL: e.cfg.LeaseTTL,
		Logger: e.log.With("component", "lease"), OnHeld: e.metrics.SetLeaseHeld}
	e.log.Info("replicated subscribers: each runs while this process holds its lease", "holder", holder, "ttl", rs.keeper.TTL)
	return rs.keeper
}

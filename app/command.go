package app

import (
	"context"
	"time"

	cmds "github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/esdb"
)

// startCommand wires the staff command API. Its store has the circuit
// breaker and the in-flight bound, so readiness and 503s follow it.
func startCommand(ctx context.Context, e *serveEnv) error {
	log := e.log.With("component", "commands")
	store, err := esdb.Open(e.esdbURL, esdb.Options{Logger: log, OnAppend: observeAppend(e.metrics)})
	if err != nil {
		return err
	}
	e.closers = append(e.closers, store.Close)
	e.metrics.Breaker(store.BreakerState)
	h := cmds.New(store, e.clinic, cmds.Options{Clock: time.Now, Logger: log,
		CheckInWindow: e.cfg.CheckInWindow, DaysBack: e.cfg.DaysBack, DaysAhead: e.cfg.DaysAhead,
		InvoiceCeiling: e.cfg.InvoiceCeiling, Tracer: e.commandTracer()})
	e.api.Commands = h
	e.api.RetryAfter = store.RetryAfter()
	// The role's ping goes through the store's breaker and bounds.
	e.ping = readyCheck{Name: "eventstore", Check: store.Ping}
	writable, err := e.writable(store)
	if err != nil {
		return err
	}
	e.ready = append(e.ready, writable, breakerClosed(store))
	e.workers = append(e.workers, worker{"sweep", "command", func(ctx context.Context) error {
		h.RunSweeps(ctx) // cadence and scope: commands.SweepInterval and the constants beside it
		return nil
	}})
	return nil
}

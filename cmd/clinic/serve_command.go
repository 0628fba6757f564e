package main

import (
	"context"
	"log/slog"
	"time"

	cmds "github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/esdb"
)

// startCommand wires the staff command API. Its store has the circuit
// breaker and the in-flight bound, so readiness and 503s follow it.
func startCommand(ctx context.Context, e *serveEnv) error {
	log := e.log.With("component", "commands")
	store, err := esdb.Open(e.esdbURL, esdb.Options{Logger: log})
	if err != nil {
		return err
	}
	e.closers = append(e.closers, store.Close)
	h := cmds.New(store, e.clinic, cmds.Options{Clock: time.Now, Logger: log})
	e.api.Commands = h
	e.api.RetryAfter = store.RetryAfter()
	e.api.Ready = store.Ping
	e.workers = append(e.workers, worker{"orphan sweep", func(ctx context.Context) error {
		sweepOrphans(ctx, h, log, orphanSweepEvery)
		return nil
	}})
	return nil
}

// Orphan sweep: when it first runs (the process serves first), how often
// after that, how far ahead, and how old a booking must be before it counts
// as orphaned (a placement in flight is left alone).
const (
	orphanSweepFirst = time.Minute
	orphanSweepEvery = 10 * time.Minute
	orphanSweepDays  = 60
	orphanGrace      = 2 * time.Minute
)

// sweepOrphans frees, a minute after start and then every interval, slot
// bookings whose placement crashed between booking the slot and placing the
// reservation and was never retried. A failure waits for the next round: a
// store that is down now will be swept later.
func sweepOrphans(ctx context.Context, h *cmds.Handler, log *slog.Logger, every time.Duration) {
	wait := time.NewTimer(orphanSweepFirst)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		released, err := h.SweepOrphans(ctx, time.Now(), orphanSweepDays, orphanGrace)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("orphan sweep failed; trying again next round", "err", err, "released", released)
		case released > 0:
			log.Info("orphan sweep released slot bookings", "released", released)
		}
		wait.Reset(every)
	}
}

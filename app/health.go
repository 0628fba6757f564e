package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/httpapi"
)

// readyCheck is one part of /readyz.
type readyCheck = httpapi.ReadyCheck

// writable returns the command role's check that the event store can
// write: the embedded store's own health, or else the server's gRPC health
// service, or else (a server without one, such as EventStoreDB) whether the
// last append was refused for a failed storage. Reads still work while a
// disk is full, so a read (Ping) alone would say ready.
func (e *serveEnv) writable(store *esdb.Store) (readyCheck, error) {
	if e.embedded != nil {
		srv := e.embedded
		return readyCheck{Name: "eventstore writes", Check: func(context.Context) error {
			if err := srv.Healthy(); err != nil {
				return errors.Join(&commands.StorageFailure{Reason: healthReason(err)}, err)
			}
			return nil
		}}, nil
	}
	h, err := esdb.DialHealth(e.esdbURL)
	if err != nil {
		return readyCheck{}, err
	}
	e.closers = append(e.closers, h.Close)
	return readyCheck{Name: "eventstore writes", Check: func(ctx context.Context) error {
		err := h.Check(ctx)
		var sf *commands.StorageFailure
		if errors.As(err, &sf) {
			return err
		}
		// No health service, or no answer (the Ping that follows tells
		// whether the store is reachable at all).
		return store.WriteHealth()
	}}, nil
}

// breakerClosed returns the command role's check that its store's circuit
// breaker is closed. The role's ping goes through the breaker, so while it
// is half-open that probe is the call that closes it again.
func breakerClosed(store *esdb.Store) readyCheck {
	return readyCheck{Name: "breaker", Check: func(context.Context) error {
		if st := store.BreakerState(); st != "closed" {
			return fmt.Errorf("%w (%s)", httpapi.ErrBreakerOpen, st)
		}
		return nil
	}}
}

// healthReason is the reason in the embedded store's health error
// ("event store cannot write: disk full (writing the log failed): <cause>
// (since ...)"): the part fit to show a caller, without the cause's paths.
func healthReason(err error) string {
	s := strings.TrimPrefix(err.Error(), "event store cannot write: ")
	reason, _, _ := strings.Cut(s, ": ")
	return reason
}

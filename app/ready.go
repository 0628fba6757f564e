package app

import (
	"context"
	"fmt"
	"time"

	"github.com/vetclinic/clinic/httpapi"
	"github.com/vetclinic/clinic/projections"
)

// DefaultReadyMaxLag is how far behind the head of $all a read model may be
// while its query role says ready. It is a time, not a count of events: a
// count means a different staleness for each read model and each hour of
// the day, and needs a scan of $all at every probe, while the age of the
// oldest event a read model has not taken in is what a customer sees. Ten
// seconds is far above the projector's usual lag (milliseconds) and a
// burst's, and short enough that a customer who just booked finds the
// booking.
const DefaultReadyMaxLag = 10 * time.Second

// DefaultShutdownGrace is how long a process has, once told to stop, to
// finish its requests, stop its workers and close its stores: within
// Kubernetes' default terminationGracePeriodSeconds (30 s) less the
// preStop pause that lets the endpoints drop the pod first.
const DefaultShutdownGrace = 20 * time.Second

// lagCheck returns the query role's check that read model p's live copy is
// within max of the head of $all. The lag is the age of the oldest event of
// interest the copy has not taken in (zero when it has them all), so a
// quiet clinic's read model is current however old its last event, and a
// stopped projector's lag grows with the first event it misses.
func lagCheck(store projections.Store, src projections.Source, p projections.Subscriber, max time.Duration, now func() time.Time) httpapi.ReadyCheck {
	return httpapi.ReadyCheck{Name: "readmodel " + p.Name, Check: func(ctx context.Context) error {
		lag, err := readModelLag(ctx, store, src, p, now)
		if err != nil {
			return fmt.Errorf("lag of %s: %w", p.Name, err)
		}
		if lag > max {
			return &httpapi.LagError{ReadModel: p.Name, Lag: lag, Max: max}
		}
		return nil
	}}
}

// readModelLag is the age of the oldest event passing p's filter after the
// checkpoint of p's live copy, or zero.
func readModelLag(ctx context.Context, store projections.Store, src projections.Source, p projections.Subscriber, now func() time.Time) (time.Duration, error) {
	ns, err := projections.LiveNamespace(ctx, store, p.Name)
	if err != nil {
		return 0, err
	}
	cp, _, err := store.Checkpoint(ctx, ns)
	if err != nil {
		return 0, err
	}
	head, err := src.Head(ctx, p.Filter)
	if err != nil {
		return 0, err
	}
	if !cp.Position.Less(head.Position) {
		return 0, nil
	}
	// Head may stand in the last event of $all for a filter it found none
	// of nearby; only an event of interest makes a lag.
	pending, err := src.AnyUpTo(ctx, cp.Position, head.Position.Commit, p.Filter)
	if err != nil || !pending {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := src.Subscribe(ctx, cp.Position, p.Filter)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	for {
		m, err := s.Recv()
		switch {
		case err != nil:
			return 0, err
		case m.Event != nil:
			return max(0, now().Sub(m.Event.Created)), nil
		case m.CaughtUp, m.Checkpoint != nil && !m.Checkpoint.Less(head.Position):
			return 0, nil // taken in meanwhile
		}
	}
}

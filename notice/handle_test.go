package notice

import (
	"context"
	"fmt"

	"github.com/vetclinic/clinic/projections"
)

// Handle reacts to one event: it remembers the visit and records at most
// one message, under the event's ID, before queueing it, so handling an
// event again (a redelivery, a replay from an older checkpoint) sends
// nothing new. It returns an error only when the store failed. It is what
// the read store's subscriber (package docstore) does through the runner's
// unit of work, without the runner, for this package's tests; production
// code calls Decide.
func (s *Service) Handle(ctx context.Context, ev projections.Event) error {
	v, m, err := s.Decide(ev)
	if err != nil {
		return err
	}
	if v != nil {
		if err := s.visits.PutVisit(ctx, *v); err != nil {
			return fmt.Errorf("remember visit %s: %w", v.ReservationID, err)
		}
	}
	if m == nil {
		return nil
	}
	if m.Status == StatusExpired {
		if _, err := s.dispatch.store.Add(ctx, *m); err != nil {
			return fmt.Errorf("notice for event %s: %w", ev.ID, err)
		}
		return nil
	}
	if _, err := s.dispatch.Submit(ctx, *m); err != nil {
		return fmt.Errorf("notice for event %s: %w", ev.ID, err)
	}
	return nil
}

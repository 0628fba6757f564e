package docstore

import (
	"context"
	"sync"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/projections"
)

// SubscriberName names the notice subscriber's checkpoint and parked
// events. It never changes: a new name would start again from the
// beginning of $all (which would still send nothing twice, but would read
// everything again).
const SubscriberName = "notice"

// Subscriber feeds the notice service from the projections runtime: each
// event's visit and message are written in the runner's unit of work, so
// they commit with the checkpoint (in one transaction on bbolt; documents
// first, checkpoint after, on MongoDB), and the messages are queued for
// delivery once committed. A message is recorded under its event's ID
// before it can be sent, so a redelivered or replayed event sends nothing.
type Subscriber struct {
	svc      *notice.Service
	dispatch *notice.Dispatcher

	mu       sync.Mutex
	recorded []string // messages written since the last commit
}

// NewSubscriber returns the subscriber for svc, queueing into d.
func NewSubscriber(svc *notice.Service, d *notice.Dispatcher) *Subscriber {
	return &Subscriber{svc: svc, dispatch: d}
}

// Runner returns a runner of the subscriber on source, with its checkpoint
// and documents in rs under Namespace. Set its Logger and Now as needed.
func (s *Subscriber) Runner(source projections.Source, rs projections.Store) *projections.Runner {
	return &projections.Runner{
		Source:     source,
		Store:      rs,
		Subscriber: s.Subscriber(),
		Namespace:  Namespace,
		OnCommit:   s.Committed,
	}
}

// Subscriber describes the subscriber to the projections runtime.
func (s *Subscriber) Subscriber() projections.Subscriber {
	return projections.Subscriber{
		Name:   SubscriberName,
		Filter: projections.Filter{EventTypePrefixes: notice.Types()},
		Indexes: map[string][]string{
			collMessages: {keyAll, keyReservation, keyStatus},
			collVisits:   {keyDay},
		},
		Handle: s.handle,
	}
}

func (s *Subscriber) handle(_ context.Context, tx *projections.Tx, ev projections.Event) error {
	v, m, err := s.svc.Decide(ev)
	if err != nil {
		return err
	}
	if v != nil {
		d, err := visitDoc(*v)
		if err != nil {
			return err
		}
		tx.Put(collVisits, d)
	}
	if m == nil {
		return nil
	}
	if _, found, err := tx.Get(collMessages, m.ID); err != nil || found {
		return err // found: recorded before (a redelivery), whatever became of it
	}
	d, err := messageDoc(*m)
	if err != nil {
		return err
	}
	tx.Put(collMessages, d)
	if m.Status == notice.StatusPending {
		s.mu.Lock()
		s.recorded = append(s.recorded, m.ID)
		s.mu.Unlock()
	}
	return nil
}

// Committed queues the messages of the batches committed so far; it is the
// runner's OnCommit. (IDs from a batch that failed and was re-run are
// queued too; the dispatcher skips any that are not recorded pending.)
func (s *Subscriber) Committed(projections.Checkpoint) {
	s.mu.Lock()
	ids := s.recorded
	s.recorded = nil
	s.mu.Unlock()
	s.dispatch.Queue(ids...)
}

package notice

import (
	"context"
	"fmt"
	"time"
)

// Records answers staff's questions about messages (what was sent to whom,
// what died and why) and re-queues dead ones. It needs only the store, so
// a process that does not deliver can serve it too; a re-queued message is
// then found by the dispatcher's next scan of the store (within a minute),
// or at once when Dispatcher is set.
type Records struct {
	Store      Store
	Dispatcher *Dispatcher      // optional: the local dispatcher, woken by RetryDead
	Now        func() time.Time // nil: time.Now
}

// List returns the messages f selects, newest first.
func (r Records) List(ctx context.Context, f Filter) ([]Message, error) {
	ms, err := r.Store.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ms, nil
}

// RetryDead re-queues the dead messages f selects and returns how many.
func (r Records) RetryDead(ctx context.Context, f Filter) (int, error) {
	if r.Dispatcher != nil {
		return r.Dispatcher.RetryDead(ctx, f)
	}
	now := r.Now
	if now == nil {
		now = time.Now
	}
	return Requeue(ctx, r.Store, f, now())
}

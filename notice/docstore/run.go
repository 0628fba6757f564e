package docstore

import (
	"context"
	"time"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/projections"
)

// Run runs the notice service of one process until ctx ends: the
// dispatcher d that sends the messages, the runner r of the subscriber
// that records them (NewSubscriber(svc, d).Runner), and svc's reminders,
// looked for every interval (0 means a minute). Reminders wait until the
// subscriber has caught up, so they never miss a cancellation still being
// read. It returns the first error that stops one of them, after stopping
// the others. (The wiring of these parts is the composition root's, in
// cmd/clinic.)
func Run(ctx context.Context, d *notice.Dispatcher, r *projections.Runner, svc *notice.Service, every time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 3)
	go func() { errs <- d.Run(ctx) }()
	go func() { errs <- r.Run(ctx) }()
	go func() { errs <- svc.RunReminders(ctx, every, func() bool { return r.Status().Live }) }()
	var first error
	for range 3 {
		if err := <-errs; err != nil && ctx.Err() == nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/projections"
)

// noticeRole is the notice service of one process: the subscriber that
// records a message per event, the dispatcher that sends them, and the
// reminders, all on the read store the other roles share.
type noticeRole struct {
	store      *docstore.Store
	dispatcher *notice.Dispatcher
	service    *notice.Service
	runner     func() *projections.Runner // a fresh runner of the subscriber
	every      time.Duration              // how often reminders are looked for; 0 means a minute
	// keeper, when set, runs the service only while this process holds
	// its lease: the subscriber, the dispatcher (which the subscriber
	// queues in this process) and the reminders go together, so one replica
	// records and sends each message.
	keeper *projections.Keeper
	tracer projections.Tracer // the subscriber's; nil for none
	log    *slog.Logger
}

// wireNotice wires the notice role on the read store rs, reading events
// from src and sending through ch; zone is the clinic's time zone. It
// returns an error when zone is nil or the templates cannot be built.
func wireNotice(rs projections.Store, src projections.Source, ch notice.Channel, cfg notice.Config,
	delivery notice.DeliveryConfig, zone *time.Location, every time.Duration, log *slog.Logger) (*noticeRole, error) {
	render, err := notice.NewRenderer(zone)
	if err != nil {
		return nil, err
	}
	store := docstore.New(rs)
	d := notice.NewDispatcher(store, ch, delivery, time.Now, log)
	svc := notice.NewService(cfg, render, d, store, time.Now, log)
	sub := docstore.NewSubscriber(svc, d)
	runner := func() *projections.Runner {
		r := sub.Runner(src, rs)
		r.Logger, r.Now = log, time.Now
		return r
	}
	return &noticeRole{store: store, dispatcher: d, service: svc, runner: runner, every: every, log: log}, nil
}

// Records is what the staff API serves about messages.
func (n *noticeRole) Records() notice.Records {
	return notice.Records{Store: n.store, Dispatcher: n.dispatcher, Now: time.Now}
}

// Run delivers, subscribes and reminds until ctx ends (docstore.Run),
// with a keeper each time this process holds the notice lease: the
// namespace is fenced with the lease's token first, and the subscriber's
// commits carry it.
func (n *noticeRole) Run(ctx context.Context) error {
	if n.keeper == nil {
		r := n.runner()
		r.Tracer = n.tracer
		return docstore.Run(ctx, n.dispatcher, r, n.service, n.every)
	}
	return n.keeper.Hold(ctx, docstore.SubscriberName, func(ctx context.Context, l projections.Lease) error {
		if err := n.keeper.Leases.Fence(ctx, docstore.Namespace, l.Token); err != nil {
			// Give the lease back and try again: a holder must not run
			// the namespace unfenced.
			n.log.Warn("fence the notice namespace", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			return nil
		}
		r := n.runner()
		r.Fence, r.Tracer = l.Token, n.tracer
		return docstore.Run(ctx, n.dispatcher, r, n.service, n.every)
	})
}

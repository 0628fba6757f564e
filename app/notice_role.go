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
	runner     *projections.Runner
	every      time.Duration // how often reminders are looked for; 0 means a minute
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
	r := docstore.NewSubscriber(svc, d).Runner(src, rs)
	r.Logger, r.Now = log, time.Now
	return &noticeRole{store: store, dispatcher: d, service: svc, runner: r, every: every}, nil
}

// Records is what the staff API serves about messages.
func (n *noticeRole) Records() notice.Records {
	return notice.Records{Store: n.store, Dispatcher: n.dispatcher, Now: time.Now}
}

// Run delivers, subscribes and reminds until ctx ends (docstore.Run).
func (n *noticeRole) Run(ctx context.Context) error {
	return docstore.Run(ctx, n.dispatcher, n.runner, n.service, n.every)
}

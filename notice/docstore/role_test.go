package docstore_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/projections"
)

// role is the notice service wired for the tests as cmd/clinic wires it
// for clinic serve (newNoticeRole there), run by docstore.Run.
type role struct {
	Dispatcher *notice.Dispatcher
	Service    *notice.Service
	Runner     *projections.Runner
}

// newRole wires the notice service on the read store rs, reading events
// from src and sending through ch. messages, when not nil, is the store the
// dispatcher records outcomes in, in place of the read store's (tests wrap
// it to watch outcomes).
func newRole(rs projections.Store, src projections.Source, ch notice.Channel, cfg notice.Config, delivery notice.DeliveryConfig,
	zone *time.Location, messages notice.Store) (*role, error) {
	log := slog.New(slog.DiscardHandler)
	render, err := notice.NewRenderer(zone)
	if err != nil {
		return nil, err
	}
	store := docstore.New(rs)
	if messages == nil {
		messages = store
	}
	d := notice.NewDispatcher(messages, ch, delivery, time.Now, log)
	svc := notice.NewService(cfg, render, d, store, time.Now, log)
	r := docstore.NewSubscriber(svc, d).Runner(src, rs)
	r.Logger, r.Now = log, time.Now
	return &role{Dispatcher: d, Service: svc, Runner: r}, nil
}

// Run runs the role until ctx ends.
func (r *role) Run(ctx context.Context) error {
	return docstore.Run(ctx, r.Dispatcher, r.Runner, r.Service, 0)
}

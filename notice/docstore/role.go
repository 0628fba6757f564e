package docstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/projections"
)

// RoleConfig configures the notice role.
type RoleConfig struct {
	Notice        notice.Config         // clinic name, locale, reminder hour
	Delivery      notice.DeliveryConfig // attempts and backoff
	Zone          *time.Location        // the clinic's time zone (its Location); required
	ReminderEvery time.Duration         // how often reminders are looked for; 0 means a minute
	Now           func() time.Time      // nil means time.Now
	Logger        *slog.Logger          // nil discards
	// Messages, when set, is the store the dispatcher records outcomes in,
	// in place of the read store's (tests wrap it to watch outcomes).
	Messages notice.Store
}

// Role is the notice service of one process: the subscriber that records a
// message per event, the dispatcher that sends them, and the reminders.
type Role struct {
	Store      *Store
	Dispatcher *notice.Dispatcher
	Service    *notice.Service
	Runner     *projections.Runner
	every      time.Duration
}

// NewRole wires the notice role on the read store rs, reading events from
// src and sending through ch. It returns an error when cfg.Zone is nil or the
// templates cannot be built.
func NewRole(rs projections.Store, src projections.Source, ch notice.Channel, cfg RoleConfig) (*Role, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	render, err := notice.NewRenderer(cfg.Zone)
	if err != nil {
		return nil, err
	}
	store := New(rs)
	var messages notice.Store = store
	if cfg.Messages != nil {
		messages = cfg.Messages
	}
	d := notice.NewDispatcher(messages, ch, cfg.Delivery, now, log)
	svc := notice.NewService(cfg.Notice, render, d, store, now, log)
	r := NewSubscriber(svc, d).Runner(src, rs)
	r.Logger, r.Now = log, now
	return &Role{Store: store, Dispatcher: d, Service: svc, Runner: r, every: cfg.ReminderEvery}, nil
}

// Records is what the staff API serves about messages.
func (r *Role) Records() notice.Records {
	return notice.Records{Store: r.Store, Dispatcher: r.Dispatcher, Now: time.Now}
}

// Run delivers, subscribes and reminds until ctx ends, and returns the
// first error that stops one of them. Reminders wait until the subscriber
// has caught up, so they never miss a cancellation still being read.
func (r *Role) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 3)
	go func() { errs <- r.Dispatcher.Run(ctx) }()
	go func() { errs <- r.Runner.Run(ctx) }()
	go func() { errs <- r.Service.RunReminders(ctx, r.every, func() bool { return r.Runner.Status().Live }) }()
	var first error
	for range 3 {
		if err := <-errs; err != nil && ctx.Err() == nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

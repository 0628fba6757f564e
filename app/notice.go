package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/notice/webhook"
	"github.com/vetclinic/clinic/projections"
)

// noticeOptions configures the notice role.
type noticeOptions struct {
	notify        string // log or webhook
	webhookURL    string
	webhookSecret string
	locale        notice.Locale
	reminderHour  int
	links         notice.Links // the status links messages carry; nil for none
	delivery      notice.DeliveryConfig
	reminderEvery time.Duration
}

// newNoticeChannel returns the configured channel, or an error naming the
// flag that is wrong.
func newNoticeChannel(o noticeOptions, log *slog.Logger) (notice.Channel, error) {
	switch o.notify {
	case "", "log":
		return notice.NewLogChannel(log), nil
	case "webhook":
		if o.webhookURL == "" || o.webhookSecret == "" {
			return nil, fmt.Errorf("--notify webhook needs --webhook-url and --webhook-secret (whsec_...)")
		}
		ch, err := webhook.New(webhook.Config{URL: o.webhookURL, Secret: o.webhookSecret})
		if err != nil {
			return nil, fmt.Errorf("--webhook-url/--webhook-secret: %w", err)
		}
		return ch, nil
	}
	return nil, fmt.Errorf("--notify must be log or webhook, not %q", o.notify)
}

// newNoticeRole builds the notice role on the read store rs and $all.
func newNoticeRole(o noticeOptions, cl *clinic.Clinic, rs projections.Store, src projections.Source, log *slog.Logger) (*noticeRole, error) {
	log = log.With("component", "notice")
	ch, err := newNoticeChannel(o, log)
	if err != nil {
		return nil, err
	}
	n, err := wireNotice(rs, src, ch, notice.Config{Clinic: cl.Name, Locale: o.locale, ReminderHour: o.reminderHour, Links: o.links},
		o.delivery, cl.Location, o.reminderEvery, log)
	if err != nil {
		return nil, err
	}
	log.Info("notices go out through the "+ch.Name()+" channel", "locale", o.locale, "reminderHour", o.reminderHour)
	return n, nil
}

// noticeLocale parses --notify-locale.
func noticeLocale(s string) (notice.Locale, error) {
	switch l := notice.Locale(strings.ToLower(s)); l {
	case "", notice.Korean:
		return notice.Korean, nil
	case notice.English:
		return l, nil
	}
	return "", fmt.Errorf("--notify-locale must be ko or en, not %q", s)
}

// startNotice wires the notice role: the subscriber and the dispatcher run
// as one worker on the read store the other roles share, and the staff API
// serves the messages' records.
func startNotice(ctx context.Context, e *serveEnv) error {
	rs, err := e.readSide(ctx)
	if err != nil {
		return err
	}
	locale, err := noticeLocale(e.cfg.NotifyLocale)
	if err != nil {
		return err
	}
	if e.cfg.ReminderHour < 0 || e.cfg.ReminderHour > 23 {
		return fmt.Errorf("--reminder-hour must be 0 to 23, not %d", e.cfg.ReminderHour)
	}
	links, err := e.statusLinks()
	if err != nil {
		return err
	}
	n, err := newNoticeRole(noticeOptions{
		notify: e.cfg.Notify, webhookURL: e.cfg.WebhookURL, webhookSecret: e.cfg.WebhookSecret,
		locale: locale, reminderHour: e.cfg.ReminderHour, links: links, delivery: notice.DeliveryConfig{OnAttempt: observeNotice(e.metrics)},
	}, e.clinic, rs.store, esdb.Source{Client: e.esdb}, e.log)
	if err != nil {
		return err
	}
	e.metrics.Leases(docstore.SubscriberName)
	n.keeper, n.tracer = e.leaseKeeper(rs), e.subscriberTracer()
	e.api.Notifications = n.Records()
	e.workers = append(e.workers, worker{name: "notice", role: "notice", run: n.Run})
	return nil
}

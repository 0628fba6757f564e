package app

import (
	"context"
	"errors"
	"time"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/metrics"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/projections/admin"
)

// The roles report to the process's one metrics registry (served at
// /metrics) through these adapters, so the packages that do the work know
// only a hook of their own.

// observeAppend is esdb.Options.OnAppend for the registry m.
func observeAppend(m *metrics.Registry) func(d time.Duration, err error) {
	return func(d time.Duration, err error) {
		outcome := metrics.AppendOK
		switch {
		case errors.Is(err, commands.ErrConcurrency):
			outcome = metrics.AppendConflict
		case err != nil:
			outcome = metrics.AppendError
		}
		m.ObserveAppend(outcome, d)
	}
}

// observeNotice is notice.DeliveryConfig.OnAttempt for the registry m.
func observeNotice(m *metrics.Registry) func(notice.Message, notice.Attempt) {
	return func(msg notice.Message, a notice.Attempt) {
		switch {
		case a.Error == "":
			m.ObserveNotification(metrics.NotificationSent)
		case msg.Status == notice.StatusDead:
			m.ObserveNotification(metrics.NotificationFailed)
			m.ObserveNotification(metrics.NotificationDead)
		default:
			m.ObserveNotification(metrics.NotificationFailed)
		}
	}
}

// projectionStatuses reads the subscribers' statuses from the projector's
// admin for the registry's scrape-time gauges.
func projectionStatuses(a *admin.Admin) func(ctx context.Context) ([]metrics.ProjectionStatus, error) {
	return func(ctx context.Context) ([]metrics.ProjectionStatus, error) {
		sts, err := a.Statuses(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]metrics.ProjectionStatus, len(sts))
		for i, st := range sts {
			out[i] = metrics.ProjectionStatus{Name: st.Name, Checkpoint: st.Checkpoint, LagEvents: st.LagEvents, LagSeconds: st.LagSeconds, Parked: st.Parked}
		}
		return out, nil
	}
}

package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ProjectionStatus is where one subscriber (a projection or the notice
// subscriber) stands, as the projector's admin reports it.
type ProjectionStatus struct {
	Name       string
	Checkpoint uint64 // commit position of the live copy
	LagEvents  int
	LagSeconds float64
	Parked     int
}

type projectionGauges struct {
	checkpoint, lagEvents, lagSeconds, parked *prometheus.GaugeVec
}

func newProjectionGauges() projectionGauges {
	g := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"projection"})
	}
	return projectionGauges{
		checkpoint: g("clinic_projection_checkpoint_position", "Commit position in $all that the projection's live copy has reached."),
		lagEvents:  g("clinic_projection_lag_events", "Events of interest to the projection after its checkpoint."),
		lagSeconds: g("clinic_projection_lag_seconds", "How far behind the head of $all the projection is, in seconds of event time."),
		parked:     g("clinic_projection_parked_events", "Events the projection failed to handle and parked."),
	}
}

func (g projectionGauges) register(reg *prometheus.Registry) {
	reg.MustRegister(g.checkpoint, g.lagEvents, g.lagSeconds, g.parked)
}

// projectionTimeout bounds the store reads of one scrape.
const projectionTimeout = 5 * time.Second

// Projections reports each subscriber's checkpoint, lag and parked events,
// read through statuses at scrape time. When statuses fails the gauges keep
// their last values (the failure shows in the lag growing on recovery and
// in the projector's log, not as a gap).
func (r *Registry) Projections(statuses func(ctx context.Context) ([]ProjectionStatus, error)) {
	r.onScrape(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, projectionTimeout)
		defer cancel()
		sts, err := statuses(ctx)
		if err != nil {
			return
		}
		g := r.projections
		for _, v := range []*prometheus.GaugeVec{g.checkpoint, g.lagEvents, g.lagSeconds, g.parked} {
			v.Reset()
		}
		for _, st := range sts {
			g.checkpoint.WithLabelValues(st.Name).Set(float64(st.Checkpoint))
			g.lagEvents.WithLabelValues(st.Name).Set(float64(st.LagEvents))
			g.lagSeconds.WithLabelValues(st.Name).Set(st.LagSeconds)
			g.parked.WithLabelValues(st.Name).Set(float64(st.Parked))
		}
	})
}

package metrics

import "github.com/prometheus/client_golang/prometheus"

// leaseGauge is clinic_lease_holder: 1 for each lease this process holds,
// 0 for the others it may take. Its label values are the names given to
// Leases, the subscribers' constants, so nothing else adds a series.
type leaseGauge struct {
	g     *prometheus.GaugeVec
	known map[string]bool
}

func newLeaseGauge() leaseGauge {
	return leaseGauge{g: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "clinic_lease_holder",
		Help: "1 while this process holds the lease of a replicated subscriber (a projection, the notice service), 0 while it stands by.",
	}, []string{"lease"}), known: map[string]bool{}}
}

// Leases declares the leases this process may hold, each at 0 until
// SetLeaseHeld says otherwise. It must be called before the keepers start.
func (r *Registry) Leases(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		r.leases.known[n] = true
		r.leases.g.WithLabelValues(n).Set(0)
	}
}

// SetLeaseHeld records whether this process holds lease name. A name not
// declared with Leases is ignored: the label set stays closed.
func (r *Registry) SetLeaseHeld(name string, held bool) {
	r.mu.Lock()
	known := r.leases.known[name]
	r.mu.Unlock()
	if !known {
		return
	}
	v := 0.0
	if held {
		v = 1
	}
	r.leases.g.WithLabelValues(name).Set(v)
}

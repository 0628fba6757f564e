// Package metrics is the clinic's Prometheus instrumentation
// (client_golang): one Registry per process that every role reports to and
// that /metrics serves. Every label value comes from a closed set (a fixed
// list of methods, the router's route templates, the code's own names for
// commands, outcomes and projections), so no request can add a series.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds the clinic's metrics and serves them. Build it with New;
// it is safe for concurrent use.
type Registry struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	commands     *prometheus.CounterVec
	appends      *prometheus.HistogramVec
	breaker      *prometheus.GaugeVec
	notices      *prometheus.CounterVec
	projections  projectionGauges
	leases       leaseGauge
	handler      http.Handler

	mu        sync.Mutex
	refreshes []func(ctx context.Context)
	refreshed time.Time // when the scrape-time gauges were last read
	now       func() time.Time
}

// New returns a Registry with the clinic's metrics and the Go runtime and
// process collectors registered.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry(), now: time.Now}
	r.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clinic_http_requests_total", Help: "HTTP requests by method, route template and status.",
	}, []string{"method", "route", "status"})
	r.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "clinic_http_request_duration_seconds", Help: "HTTP request latency by method, route template and status.",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	}, []string{"method", "route", "status"})
	r.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clinic_commands_total", Help: "Staff commands by route template and outcome (ok or the problem type's slug).",
	}, []string{"command", "outcome"})
	r.appends = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "clinic_eventstore_append_duration_seconds", Help: "Appends to the event store by outcome (ok, conflict, error).",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"outcome"})
	r.breaker = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "clinic_eventstore_breaker_state", Help: "1 for the event store circuit breaker's current state (closed, half-open, open), 0 for the others.",
	}, []string{"state"})
	r.notices = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clinic_notifications_total", Help: "Customer notification attempts by outcome: sent, failed (to be retried or dead), dead.",
	}, []string{"outcome"})
	// The outcomes of a closed set start at zero, so a rate or an alert on
	// them works before the first one happens.
	for _, o := range []string{AppendOK, AppendConflict, AppendError} {
		r.appends.WithLabelValues(o)
	}
	for _, o := range []string{NotificationSent, NotificationFailed, NotificationDead} {
		r.notices.WithLabelValues(o)
	}
	r.projections = newProjectionGauges()
	r.leases = newLeaseGauge()
	r.reg.MustRegister(r.httpRequests, r.httpDuration, r.commands, r.appends, r.breaker, r.notices, r.leases.g,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.projections.register(r.reg)
	r.handler = promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
	return r
}

// methods are the HTTP methods that get their own label value; every other
// method is counted as "other".
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// Method returns m when it is a standard method the API may serve, else
// "other": a client can send any token as a method.
func Method(m string) string {
	if methods[m] {
		return m
	}
	return "other"
}

// ObserveRequest counts one HTTP request. route must be a route template
// or "unmatched", never the raw path; method is closed by Method here.
func (r *Registry) ObserveRequest(method, route string, status int, d time.Duration) {
	m, st := Method(method), statusLabel(status)
	r.httpRequests.WithLabelValues(m, route, st).Inc()
	r.httpDuration.WithLabelValues(m, route, st).Observe(d.Seconds())
}

// statusLabel is the status code, or "other" outside the valid range.
func statusLabel(s int) string {
	if s < 100 || s > 599 {
		return "other"
	}
	return strconv.Itoa(s)
}

// ObserveCommand counts one staff command: command is its route template,
// outcome "ok" or the problem type's slug.
func (r *Registry) ObserveCommand(command, outcome string) {
	r.commands.WithLabelValues(command, outcome).Inc()
}

// Append outcomes of ObserveAppend.
const (
	AppendOK       = "ok"
	AppendConflict = "conflict"
	AppendError    = "error"
)

// ObserveAppend records how long one append to the event store took.
func (r *Registry) ObserveAppend(outcome string, d time.Duration) {
	r.appends.WithLabelValues(outcome).Observe(d.Seconds())
}

// Notification outcomes of ObserveNotification.
const (
	NotificationSent   = "sent"
	NotificationFailed = "failed"
	NotificationDead   = "dead"
)

// ObserveNotification counts one notification outcome.
func (r *Registry) ObserveNotification(outcome string) {
	r.notices.WithLabelValues(outcome).Inc()
}

// breakerStates are the circuit breaker's states, as gobreaker names them.
var breakerStates = []string{"closed", "half-open", "open"}

// Breaker reports the event store circuit breaker: state is read at each
// scrape.
func (r *Registry) Breaker(state func() string) {
	r.onScrape(func(context.Context) {
		s := state()
		for _, st := range breakerStates {
			v := 0.0
			if st == s {
				v = 1
			}
			r.breaker.WithLabelValues(st).Set(v)
		}
	})
}

// onScrape adds a function that updates gauges from their source before a
// scrape.
func (r *Registry) onScrape(f func(ctx context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshes = append(r.refreshes, f)
}

// refreshInterval bounds how often a scrape reads the scrape-time gauges'
// sources: /metrics needs no token, so scrapes must not load the stores.
const refreshInterval = time.Second

func (r *Registry) refresh(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.refreshed) >= refreshInterval {
		r.refreshed = now
		for _, f := range r.refreshes {
			f(ctx)
		}
	}
}

// ServeHTTP serves the metrics in the Prometheus exposition format.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.refresh(req.Context())
	r.handler.ServeHTTP(w, req)
}

package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// latencyBuckets are the upper bounds (seconds) of the request histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metrics counts requests per route and status and keeps a latency
// histogram per route, served in the Prometheus text format at /metrics.
type metrics struct {
	mu     sync.RWMutex
	series map[seriesKey]*series
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	count   atomic.Uint64
	sumNano atomic.Uint64
	buckets []atomic.Uint64 // cumulative counts per latencyBuckets bound
}

func newMetrics() *metrics { return &metrics{series: map[seriesKey]*series{}} }

func (m *metrics) observe(k seriesKey, d time.Duration) {
	m.mu.RLock()
	s := m.series[k]
	m.mu.RUnlock()
	if s == nil {
		m.mu.Lock()
		if s = m.series[k]; s == nil {
			s = &series{buckets: make([]atomic.Uint64, len(latencyBuckets))}
			m.series[k] = s
		}
		m.mu.Unlock()
	}
	s.count.Add(1)
	s.sumNano.Add(uint64(d))
	sec := d.Seconds()
	for i, b := range latencyBuckets {
		if sec <= b {
			s.buckets[i].Add(1)
		}
	}
}

// measure is the middleware that feeds m.
func (s *Server) measure(c *gin.Context) {
	start := s.now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched" // never the raw path: it would grow the series without bound
	}
	s.metrics.observe(seriesKey{c.Request.Method, route, c.Writer.Status()}, s.now().Sub(start))
}

// serveMetrics writes every series in the Prometheus text format.
func (s *Server) serveMetrics(c *gin.Context) {
	c.Header("Content-Type", "text/plain; version=0.0.4")
	c.Status(http.StatusOK)
	s.metrics.write(c.Writer)
}

func (m *metrics) write(w io.Writer) {
	m.mu.RLock()
	keys := make([]seriesKey, 0, len(m.series))
	for k := range m.series {
		keys = append(keys, k)
	}
	m.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.status < b.status
	})
	fmt.Fprintln(w, "# TYPE clinic_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "clinic_http_requests_total{%s} %d\n", k.labels(), m.get(k).count.Load())
	}
	fmt.Fprintln(w, "# TYPE clinic_http_request_duration_seconds histogram")
	for _, k := range keys {
		s := m.get(k)
		for i, b := range latencyBuckets {
			fmt.Fprintf(w, "clinic_http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", k.labels(), strconv.FormatFloat(b, 'g', -1, 64), s.buckets[i].Load())
		}
		n := s.count.Load()
		fmt.Fprintf(w, "clinic_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", k.labels(), n)
		fmt.Fprintf(w, "clinic_http_request_duration_seconds_sum{%s} %g\n", k.labels(), time.Duration(s.sumNano.Load()).Seconds())
		fmt.Fprintf(w, "clinic_http_request_duration_seconds_count{%s} %d\n", k.labels(), n)
	}
}

func (m *metrics) get(k seriesKey) *series {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.series[k]
}

func (k seriesKey) labels() string {
	return fmt.Sprintf("method=%q,route=%q,status=\"%d\"", k.method, k.route, k.status)
}

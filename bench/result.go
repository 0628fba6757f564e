package bench

import (
	"fmt"
	"time"
)

// Result is what a run measured.
type Result struct {
	Latencies []time.Duration // of each booking request, sorted
	Failed    int             // booking requests that did not book
	Errors    int             // failed requests and lanes that could not go on
	FirstErr  string
	Elapsed   time.Duration
	DaysOpen  int
}

// Booked is how many reservations the run placed.
func (r Result) Booked() int { return len(r.Latencies) - r.Failed }

// Rate is placed reservations per second; a failed request is no throughput.
func (r Result) Rate() float64 { return float64(r.Booked()) / r.Elapsed.Seconds() }

// Percentile is the latency below which a fraction q (0 to 1) of the
// booking requests finished.
func (r Result) Percentile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[min(len(r.Latencies)-1, int(q*float64(len(r.Latencies))))]
}

// String is the one-line summary `clinic bench place` prints.
func (r Result) String() string {
	s := fmt.Sprintf("%d reservations in %v: %.0f/s, p50 %.1f ms, p99 %.1f ms, %d errors (%d days opened)",
		r.Booked(), r.Elapsed.Round(time.Millisecond), r.Rate(),
		MS(r.Percentile(0.50)), MS(r.Percentile(0.99)), r.Errors, r.DaysOpen)
	if r.FirstErr != "" {
		s += "; first error: " + r.FirstErr
	}
	return s
}

// MS is d in milliseconds.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

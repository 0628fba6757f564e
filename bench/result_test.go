package bench

import (
	"strings"
	"testing"
	"time"
)

// TestLoadRateCountsBookingsOnly: a failed booking request is no throughput.
func TestLoadRateCountsBookingsOnly(t *testing.T) {
	t.Parallel()
	r := Result{Latencies: make([]time.Duration, 4), Failed: 1, Errors: 1, Elapsed: time.Second}
	if r.Rate() != 3 || !strings.HasPrefix(r.String(), "3 reservations") {
		t.Fatalf("rate %v, %s", r.Rate(), r)
	}
}

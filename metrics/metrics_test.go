package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vetclinic/clinic/metrics"
)

func scrape(t *testing.T, r *metrics.Registry) string {
	t.Helper()
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(w.Result().Body)
	return string(b)
}

func TestMethodIsAClosedSet(t *testing.T) {
	for in, want := range map[string]string{"GET": "GET", "OPTIONS": "OPTIONS", "get": "other", "BREW": "other", "": "other"} {
		if got := metrics.Method(in); got != want {
			t.Errorf("Method(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestScrapeTimeGauges: the breaker and the projections are read when
// scraped.
func TestScrapeTimeGauges(t *testing.T) {
	r := metrics.New()
	state := "open"
	r.Breaker(func() string { return state })
	r.Projections(func(context.Context) ([]metrics.ProjectionStatus, error) {
		return []metrics.ProjectionStatus{{Name: "lookup", Checkpoint: 42, LagEvents: 3, LagSeconds: 1.5, Parked: 1}}, nil
	})
	out := scrape(t, r)
	for _, want := range []string{
		`clinic_eventstore_breaker_state{state="open"} 1`, `clinic_eventstore_breaker_state{state="closed"} 0`,
		`clinic_projection_checkpoint_position{projection="lookup"} 42`, `clinic_projection_lag_events{projection="lookup"} 3`,
		`clinic_projection_lag_seconds{projection="lookup"} 1.5`, `clinic_projection_parked_events{projection="lookup"} 1`,
		`clinic_notifications_total{outcome="dead"} 0`, `clinic_eventstore_append_duration_seconds_count{outcome="conflict"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s:\n%s", want, out)
		}
	}
}

// TestLeaseHolderIsAClosedSet: the declared leases start at 0 and follow
// SetLeaseHeld; a name never declared adds no series.
func TestLeaseHolderIsAClosedSet(t *testing.T) {
	r := metrics.New()
	r.Leases("lookup", "notice")
	r.SetLeaseHeld("notice", true)
	r.SetLeaseHeld("made-up", true)
	out := scrape(t, r)
	for _, want := range []string{`clinic_lease_holder{lease="lookup"} 0`, `clinic_lease_holder{lease="notice"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "made-up") {
		t.Error("an undeclared lease added a series")
	}
	r.SetLeaseHeld("notice", false)
	if out := scrape(t, r); !strings.Contains(out, `clinic_lease_holder{lease="notice"} 0`) {
		t.Errorf("notice still held after SetLeaseHeld(false):\n%s", out)
	}
}

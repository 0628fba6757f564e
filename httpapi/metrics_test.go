package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/schedule"
)

// seriesCount is how many sample lines an exposition has.
func seriesCount(body []byte) int {
	n := 0
	for _, l := range bytes.Split(body, []byte("\n")) {
		if len(l) > 0 && l[0] != '#' {
			n++
		}
	}
	return n
}

// TestMetricsMadeUpMethodsAddNoSeries is issue 9's defect 3: every unknown
// method made new series on the tokenless /metrics (3,000 of them grew it
// from 183 KB to 4.8 MB). Methods now come from a fixed list, else "other".
func TestMetricsMadeUpMethodsAddNoSeries(t *testing.T) {
	t.Parallel()
	s := New(Config{Verifier: newTestAuth(t).verifier})
	call(t, s, "BREW", "/healthz", "", "")
	call(t, s, "BREW", "/no/such/path", "", "")
	call(t, s, "GET", "/metrics", "", "") // so that the scrape's own series exist before
	_, _, before := call(t, s, "GET", "/metrics", "", "")
	for i := range 3000 {
		path := "/healthz"
		if i%2 == 1 {
			path = fmt.Sprintf("/made/up/%d", i)
		}
		call(t, s, fmt.Sprintf("M%04d", i), path, "", "")
	}
	_, _, after := call(t, s, "GET", "/metrics", "", "")
	if b, a := seriesCount(before), seriesCount(after); a != b {
		t.Fatalf("3,000 made-up methods grew /metrics from %d to %d series (%d to %d bytes)", b, a, len(before), len(after))
	}
	if !strings.Contains(string(after), `clinic_http_requests_total{method="other",route="unmatched",status="405"} 1501`) {
		t.Fatalf("made-up methods are not counted as other:\n%s", after)
	}
}

// TestMetricsCountCommandOutcomes: a staff command is counted per route
// with its outcome, ok or the problem type it was answered with.
func TestMetricsCountCommandOutcomes(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	fake := &fakeCommands{place: func(_ context.Context, cmd commands.PlaceReservation) (commands.PlaceResult, error) {
		if cmd.Reason == "taken" {
			return commands.PlaceResult{}, fmt.Errorf("place reservation: %w", schedule.ErrSlotTaken)
		}
		return commands.PlaceResult{}, nil
	}}
	s := New(Config{Verifier: a.verifier, Clinic: testClinic(t), Commands: fake})
	body := func(reason string) string {
		return `{"customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},"doctorId":"dr-kim","slot":"2026-12-01T10:00:00+09:00","reason":"` + reason + `"}`
	}
	for _, reason := range []string{"vaccination", "taken", "taken"} {
		call(t, s, "POST", "/api/v1/reservations", staff, body(reason))
	}
	call(t, s, "GET", "/api/v1/doctors", staff, "")
	code, _, out := call(t, s, "GET", "/metrics", "", "")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`clinic_commands_total{command="/api/v1/reservations",outcome="ok"} 1`,
		`clinic_commands_total{command="/api/v1/reservations",outcome="` + schedule.ErrSlotTaken.Code + `"} 2`,
		"go_goroutines ", "process_",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("metrics lack %s:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), `command="/api/v1/doctors"`) {
		t.Errorf("a read is counted as a command:\n%s", out)
	}
}

package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/mongodb/mongotest"
)

// readyzChecks returns /readyz's status code and its checks by name.
func readyzChecks(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Checks []struct{ Name, Status, Detail string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range body.Checks {
		out[c.Name] = c.Status + " " + c.Detail
	}
	return resp.StatusCode, out
}

// TestQueryReadyFollowsTheReadModels: a query role whose read models are
// further behind the event store than --ready-max-lag (no projector runs)
// is not ready, and says which read model lags; once a projector (another
// process, on the same MongoDB) has caught up it is ready, and it stays
// ready while the clinic is quiet, however old its last event.
func TestQueryReadyFollowsTheReadModels(t *testing.T) {
	t.Parallel()
	esdbURL := esdbtest.URL(t)
	appendPlaced(t, esdbURL, 5, false)
	mongoURL := mongotest.URL(t)
	db := "ready" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	const maxLag = time.Second
	q := startClinic(t, "--esdb", esdbURL, "--mongo", mongoURL, "--mongo-db", db, "--roles", "query", "--ready-max-lag", maxLag.String())
	var checks map[string]string
	waitFor(t, 10*time.Second, "the query role to say its read models lag", func() bool {
		var code int
		code, checks = readyzChecks(t, q.base)
		return code == http.StatusServiceUnavailable && strings.Contains(checks["readmodel lookup"], "behind the event store")
	})
	for _, name := range []string{"shutdown", "eventstore", "readmodel lookup", "readmodel visits"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("readyz lacks the %q check: %v", name, checks)
		}
	}
	if !strings.HasPrefix(checks["eventstore"], "ok") {
		t.Errorf("the event store answers, but its check says %q", checks["eventstore"])
	}

	startClinic(t, "--esdb", esdbURL, "--mongo", mongoURL, "--mongo-db", db, "--roles", "projector")
	waitFor(t, 20*time.Second, "the query role to be ready once the projector caught up", func() bool {
		code, _ := readyzChecks(t, q.base)
		return code == http.StatusOK
	})
	time.Sleep(2 * maxLag) // quiet: the last event is now older than the bound
	if code, checks := readyzChecks(t, q.base); code != http.StatusOK {
		t.Errorf("a current query role in a quiet clinic = %d %v", code, checks)
	}
}

// TestCommandReadyChecks: the command role's /readyz names the event
// store, its writes and its breaker.
func TestCommandReadyChecks(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--roles", "command")
	code, checks := readyzChecks(t, p.base)
	if code != http.StatusOK {
		t.Fatalf("readyz = %d %v", code, checks)
	}
	for _, name := range []string{"shutdown", "eventstore", "eventstore writes", "breaker"} {
		if !strings.HasPrefix(checks[name], "ok") {
			t.Errorf("check %q = %q, want ok", name, checks[name])
		}
	}
}

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// repoFile reads a file of the repository by its path from the root.
func repoFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// decodeYAML decodes data into v, refusing fields v does not have.
func decodeYAML(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	if err := yaml.UnmarshalWithOptions(data, v, yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// alertRules is the Prometheus rule file format.
type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// grafanaDashboard is the part of a Grafana dashboard that queries.
type grafanaDashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// metricNameRE finds the clinic's, Go's and the process's metric names in a
// PromQL expression (label values are in quotes and do not match \b...).
var metricNameRE = regexp.MustCompile(`\b(?:clinic|go|process)_[a-zA-Z0-9_]+\b`)

// scrapedNames returns the sample names of a Prometheus text exposition.
func scrapedNames(body string) map[string]bool {
	names := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if i := strings.IndexAny(l, "{ "); i > 0 {
			names[l[:i]] = true
		}
	}
	return names
}

// TestDashboardAndAlertsUseRealMetrics: every metric the Grafana dashboard
// and the alert rules under deploy/ query is on a running clinic's /metrics
// (all roles), so a renamed metric fails here, not in a silent panel.
func TestDashboardAndAlertsUseRealMetrics(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--roles", "command,query,projector,notice")
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil); code != http.StatusOK {
		t.Fatalf("open day: %d", code)
	}
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	have := scrapedNames(string(body))

	var used []string // "where: name"
	var rules alertRules
	decodeYAML(t, "alerts.yml", repoFile(t, "deploy/prometheus/alerts.yml"), &rules)
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v needs alert, expr and a summary", r)
			}
			alerts[r.Alert] = true
			for _, n := range metricNameRE.FindAllString(r.Expr, -1) {
				used = append(used, "alert "+r.Alert+": "+n)
			}
		}
	}
	for _, want := range []string{"ClinicProjectionLagging", "ClinicParkedEvents", "ClinicNotificationsDead", "ClinicEventStoreBreakerOpen", "ClinicSubscriberUnheld"} {
		if !alerts[want] {
			t.Errorf("alerts.yml lacks %s", want)
		}
	}
	var dash grafanaDashboard
	dec := json.NewDecoder(strings.NewReader(string(repoFile(t, "deploy/grafana/clinic-dashboard.json"))))
	if err := dec.Decode(&dash); err != nil {
		t.Fatal(err)
	}
	for _, pn := range dash.Panels {
		for _, tg := range pn.Targets {
			for _, n := range metricNameRE.FindAllString(tg.Expr, -1) {
				used = append(used, "panel "+pn.Title+": "+n)
			}
		}
	}
	if len(used) < 20 {
		t.Fatalf("only %d metric uses found: %v", len(used), used)
	}
	for _, u := range used {
		n := u[strings.LastIndex(u, " ")+1:]
		if !have[n] {
			t.Errorf("%s is not on /metrics", u)
		}
	}
	for _, want := range []string{"clinic_projection_lag_seconds", "clinic_eventstore_breaker_state", "clinic_notifications_total",
		"clinic_commands_total", "clinic_eventstore_append_duration_seconds_bucket", "go_goroutines", "process_cpu_seconds_total"} {
		if !have[want] {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		names := make([]string, 0, len(have))
		for n := range have {
			names = append(names, n)
		}
		slices.Sort(names)
		t.Logf("scraped: %s", strings.Join(names, " "))
	}
}

package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCommandWiresOnly keeps cmd/clinic to flags, wiring and thin CLIs:
// of this module it may import only the application (app), the API and its
// client (httpapi), tokens (auth), the load generator (bench), the embedded
// event store it can serve alone, and the clinic configuration it parses.
// A role, a store or a feature written here again fails this test.
func TestCommandWiresOnly(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list imports with")
	}
	const module = "github.com/vetclinic/clinic/"
	allowed := []string{"app", "auth", "bench", "domain/clinic", "domain/money", "eventstore", "httpapi"}
	out, err := exec.Command(goTool, "list", "-f", `{{join .Imports "\n"}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, imp := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(imp, module); ok && !slices.Contains(allowed, rest) {
			t.Errorf("cmd/clinic imports %s: put it in a package (app, httpapi, ...) and call that", imp)
		}
	}
}

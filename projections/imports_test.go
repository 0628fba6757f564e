package projections_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestReadSideImportsNoAdapter keeps the read side's runtime, its read
// models, the queries and the notice service free of the event store's
// client (and with it gRPC) and of the concrete stores: those are the
// adapters' (esdb, bolt, mongodb), wired in cmd. It checks the whole
// dependency graph of the production code, as `go list -deps` shows it, so
// an adapter pulled in through another package counts too.
func TestReadSideImportsNoAdapter(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	const module = "github.com/vetclinic/clinic/"
	forbidden := []string{
		"google.golang.org/grpc",
		"github.com/EventStore/EventStore-Client-Go",
		"go.etcd.io/bbolt",
		"go.mongodb.org/mongo-driver",
		module + "esdb",
		module + "bolt",
		module + "mongodb",
		module + "eventstore",
	}
	for _, pkgs := range []string{module + "projections/...", module + "queries/...", module + "notice/..."} {
		out, err := exec.Command(goTool, "list", "-deps", pkgs).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkgs, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s depends on %s", pkgs, dep)
				}
			}
		}
	}
}

package commands_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCommandsImportInward keeps the write side free of adapters and of the
// read side: commands declares the store it needs (Store) and imports only
// the standard library (but no network package: no net/http, no net/rpc),
// uuid and domain/... Everything else (the event store client, grpc, gin,
// mongo, projections, queries, httpapi, esdb) is refused because it is not
// on the list, so a new dependency has to be added here on purpose.
func TestCommandsImportInward(t *testing.T) {
	t.Parallel()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !allowedImport(p) {
				t.Errorf("%s imports %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func allowedImport(p string) bool {
	stdlib := !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
	switch {
	case stdlib:
		return p != "net" && !strings.HasPrefix(p, "net/")
	case p == "github.com/google/uuid":
		return true
	case p == "github.com/vetclinic/clinic/domain" || strings.HasPrefix(p, "github.com/vetclinic/clinic/domain/"):
		return p != "github.com/vetclinic/clinic/domain/domaintest"
	}
	return false
}

// TestAllowedImport: the list refuses what the write side must never use.
func TestAllowedImport(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		"net/http", "net", "github.com/gin-gonic/gin", "google.golang.org/grpc",
		"github.com/EventStore/EventStore-Client-Go/v4/esdb", "go.mongodb.org/mongo-driver/v2/mongo",
		"github.com/vetclinic/clinic/esdb", "github.com/vetclinic/clinic/projections",
		"github.com/vetclinic/clinic/queries", "github.com/vetclinic/clinic/httpapi",
		"github.com/vetclinic/clinic/domainx", "github.com/vetclinic/clinic/domain/domaintest",
	} {
		if allowedImport(p) {
			t.Errorf("%s is allowed", p)
		}
	}
	for _, p := range []string{"context", "encoding/json", "github.com/google/uuid", "github.com/vetclinic/clinic/domain/schedule"} {
		if !allowedImport(p) {
			t.Errorf("%s is refused", p)
		}
	}
}

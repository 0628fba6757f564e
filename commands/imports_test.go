package commands_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCommandsImportNoAdapter: commands declares the store it needs and
// never imports the event store client or any adapter.
func TestCommandsImportNoAdapter(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(p, "EventStore") || p == "github.com/vetclinic/clinic/esdb" || strings.Contains(p, "gin-gonic") ||
				strings.Contains(p, "mongo") || strings.Contains(p, "grpc") {
				t.Errorf("%s imports %s", path, p)
			}
		}
	}
}

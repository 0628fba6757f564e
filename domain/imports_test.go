package domain_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDomainImportsInward keeps domain/... free of storage, transport and
// other adapters: only the standard library, uuid and domain itself. The
// test-support package domaintest may also use go-cmp, and only tests may
// import it.
func TestDomainImportsInward(t *testing.T) {
	t.Parallel()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		testSupport := filepath.Dir(path) == "domaintest"
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			stdlib := !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
			switch {
			case p == "github.com/vetclinic/clinic/domain/domaintest":
				t.Errorf("%s imports %s, which is for tests only", path, p)
			case testSupport && p == "github.com/google/go-cmp/cmp":
			case !stdlib && p != "github.com/google/uuid" && !strings.HasPrefix(p, "github.com/vetclinic/clinic/domain"):
				t.Errorf("%s imports %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

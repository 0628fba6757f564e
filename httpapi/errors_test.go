package httpapi

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

func TestProblemFor(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	ve := domain.Validation()
	ve.Add("slotMinutes", "must be 5 to 480")
	ve.Add("capacity", "must be 1 to 1000")
	for name, c := range map[string]struct {
		err    error
		status int
		typ    string
		fields []fieldError
	}{
		"slot taken":    {fmt.Errorf("place: %w", schedule.ErrSlotTaken), http.StatusConflict, "/problems/schedule.slot_taken", nil},
		"not found":     {fmt.Errorf("cancel: %w", reservation.ErrNotFound), http.StatusNotFound, "/problems/reservation.not_found", nil},
		"wrong state":   {reservation.ErrCancelled, http.StatusConflict, "/problems/reservation.cancelled", nil},
		"validation":    {fmt.Errorf("open day: %w", ve), http.StatusUnprocessableEntity, kindValidation.uri(), []fieldError{{"capacity", "must be 1 to 1000"}, {"slotMinutes", "must be 5 to 480"}}},
		"currency":      {fmt.Errorf("pay: %w", money.ErrCurrencyMismatch), http.StatusUnprocessableEntity, "/problems/money.currency_mismatch", nil},
		"overflow":      {money.ErrOverflow, http.StatusUnprocessableEntity, "/problems/money.overflow", nil},
		"unknown fee":   {clinic.ErrUnknownFee, http.StatusUnprocessableEntity, "/problems/clinic.unknown_fee", nil},
		"bad json":      {malformed("x"), http.StatusBadRequest, kindMalformed.uri(), nil},
		"unknown error": {errors.New("disk on fire"), http.StatusInternalServerError, kindInternal.uri(), nil},
	} {
		p := s.problemFor(c.err)
		if p.Status != c.status || p.Type != c.typ || p.Title == "" {
			t.Errorf("%s: got %d %s %q, want %d %s", name, p.Status, p.Type, p.Title, c.status, c.typ)
		}
		if diff := cmp.Diff(c.fields, p.Errors); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", name, diff)
		}
		if p.Status == http.StatusInternalServerError && p.Detail != "" {
			t.Errorf("%s: a 500 leaks its detail %q", name, p.Detail)
		}
	}
}

func TestProblemPagesForDomainErrors(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	seen := map[string]bool{}
	for _, e := range domainErrors() {
		if seen[e.Code] {
			t.Errorf("code %s listed twice", e.Code)
		}
		seen[e.Code] = true
		p := s.problemFor(fmt.Errorf("wrapped: %w", e))
		code, _, body := call(t, s, "GET", p.Type, "", "")
		if code != http.StatusOK || !strings.Contains(string(body), problemTitle(e)) {
			t.Errorf("%s: page %s = %d %s", e.Code, p.Type, code, body)
		}
	}
}

// TestMoneyProblemsKeepTheirTitles pins the money problems as they were
// when they had rows of their own: their titles are not their messages.
func TestMoneyProblemsKeepTheirTitles(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	for err, want := range map[error]problem{
		money.ErrCurrencyMismatch: {Type: "/problems/money.currency_mismatch", Title: "The currency does not match the invoice's", Status: 422},
		money.ErrInvalidCurrency:  {Type: "/problems/money.invalid_currency", Title: "The currency must be an ISO 4217 code", Status: 422},
		money.ErrOverflow:         {Type: "/problems/money.overflow", Title: "The amount is too large", Status: 422},
	} {
		wrapped := fmt.Errorf("add: %w", err)
		want.Detail = wrapped.Error()
		if diff := cmp.Diff(want, s.problemFor(wrapped)); diff != "" {
			t.Errorf("%v (-want +got):\n%s", err, diff)
		}
	}
}

// TestEveryDomainErrorHasAProblem walks domain/ for the errors its packages
// declare and fails for one that no list in domainErrors holds, for a kind
// with no status, and for an exported sentinel that is not a *domain.Error
// (it would be answered as a 500).
func TestEveryDomainErrorHasAProblem(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	for _, k := range domain.Kinds() {
		if _, ok := kindStatus(k); !ok {
			t.Errorf("domain kind %d has no status", k)
		}
	}
	listed := map[string]*domain.Error{}
	for _, e := range domainErrors() {
		listed[e.Code] = e
	}
	declared := declaredDomainErrors(t, filepath.Join("..", "domain"))
	if len(declared) < len(listed) {
		t.Fatalf("found %d domain errors in the sources, fewer than the %d listed: the walk is broken", len(declared), len(listed))
	}
	for code, where := range declared {
		if code == domain.ErrValidation.Code {
			continue // the sentinel of every ValidationError, answered as kindValidation
		}
		e, ok := listed[code]
		if !ok {
			t.Errorf("%s: %s is in no list: add it to its package's Errors (and the package to domainErrors)", where, code)
			continue
		}
		if _, ok := kindStatus(e.Kind); !ok {
			t.Errorf("%s: %s has kind %d, which has no status", where, code, e.Kind)
		}
		p := s.problemFor(fmt.Errorf("wrapped: %w", e))
		if p.Type != "/problems/"+code || p.Status < 400 || p.Status >= 500 || p.Title == "" {
			t.Errorf("%s: %s maps to %d %s %q", where, code, p.Status, p.Type, p.Title)
		}
	}
}

// declaredDomainErrors parses the non-test Go files under dir and returns
// the code of every domain.Conflict, NotFound and Invalid call, with where
// it is. It reports an exported package-level Err variable that is set any
// other way, except ErrUnknownType, a decoder's error for stored data that
// is not the caller's to fix.
func declaredDomainErrors(t *testing.T, dir string) map[string]string {
	t.Helper()
	constructors := map[string]bool{"Conflict": true, "NotFound": true, "Invalid": true}
	codes := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		isConstructor := func(e ast.Expr) (*ast.CallExpr, bool) {
			call, ok := e.(*ast.CallExpr)
			if !ok {
				return nil, false
			}
			switch fun := call.Fun.(type) {
			case *ast.SelectorExpr:
				x, ok := fun.X.(*ast.Ident)
				return call, ok && x.Name == "domain" && constructors[fun.Sel.Name]
			case *ast.Ident:
				return call, f.Name.Name == "domain" && constructors[fun.Name]
			}
			return nil, false
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !name.IsExported() || !strings.HasPrefix(name.Name, "Err") || i >= len(vs.Values) {
						continue
					}
					where := fset.Position(name.Pos()).String()
					call, ok := isConstructor(vs.Values[i])
					if !ok {
						if name.Name != "ErrUnknownType" {
							t.Errorf("%s: %s is not a *domain.Error, so the API would answer it as a 500", where, name.Name)
						}
						continue
					}
					code, ok := literal(call.Args[0])
					if !ok {
						t.Errorf("%s: %s has no literal code", where, name.Name)
						continue
					}
					codes[code] = where
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// literal returns the string a literal expression spells.
func literal(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// TestCannotWriteSaysWhy: a store that cannot write is a 503 that says what
// is wrong (the store's reason), not that the clinic is busy.
func TestCannotWriteSaysWhy(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	err := fmt.Errorf("place: %w", &commands.StorageFailure{Reason: "disk full (writing the log failed)"})
	p := s.problemFor(err)
	if p.Status != http.StatusServiceUnavailable || p.Type != "/problems/storage-failed" || !strings.Contains(p.Detail, "disk full") || strings.Contains(p.Title, "busy") {
		t.Fatalf("got %+v", p)
	}
	if p := s.problemFor(commands.ErrUnavailable); p.Type != kindUnavailable.uri() || p.Detail != "" {
		t.Fatalf("a plain outage: %+v", p)
	}
}

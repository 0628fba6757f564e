package httpapi

import (
	"bufio"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vetclinic/clinic/auth"
)

// accessTable reads the table of docs/access.md: route to the roles (by
// column name) that may call it.
func accessTable(t *testing.T) (roles []string, table map[string]map[string]bool) {
	t.Helper()
	f, err := os.Open("../docs/access.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table = map[string]map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		switch {
		case cells[0] == "Route":
			roles = cells[1:]
		case strings.HasPrefix(cells[0], "---"):
		default:
			if len(cells) != len(roles)+1 {
				t.Fatalf("docs/access.md: row %q has %d cells, the header %d", line, len(cells), len(roles)+1)
			}
			if table[cells[0]] != nil {
				t.Fatalf("docs/access.md: %s is listed twice", cells[0])
			}
			allowed := map[string]bool{}
			for i, c := range cells[1:] {
				switch c {
				case "yes":
					allowed[roles[i]] = true
				case "no":
				default:
					t.Fatalf("docs/access.md: %s, %s: %q is neither yes nor no", cells[0], roles[i], c)
				}
			}
			table[cells[0]] = allowed
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return roles, table
}

// TestEveryRouteAnswersEveryRoleAsTheAccessTable calls every route the
// router serves with a token of every role and checks the answer against
// docs/access.md: 403 problem+json where the table says no, past the role
// check where it says yes. The table must list exactly the router's token
// routes and every role the API knows.
func TestEveryRouteAnswersEveryRoleAsTheAccessTable(t *testing.T) {
	t.Parallel()
	roles, table := accessTable(t)
	want := append(slices.Clone(auth.StaffRoles), auth.RoleCustomer)
	if !slices.Equal(slices.Sorted(slices.Values(roles)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("docs/access.md has the columns %v, the API knows the roles %v", roles, want)
	}
	a := newTestAuth(t)
	s := everyPartServer(t, a)
	tokens := map[string]string{}
	for _, r := range roles {
		subject := "someone-" + r
		if r == auth.RoleCustomer {
			subject = "010-1234-5678"
		}
		tokens[r] = a.token(t, subject, r)
	}
	seen := map[string]bool{}
	for _, r := range s.engine.Routes() {
		route := r.Method + " " + r.Path
		if publicRoutes[route] {
			continue
		}
		seen[route] = true
		allowed, ok := table[route]
		if !ok {
			t.Errorf("%s is not in docs/access.md", route)
			continue
		}
		for _, role := range roles {
			code, hdr, body := call(t, s, r.Method, concretePath(r.Path), tokens[role], "")
			switch {
			case allowed[role] && (code == http.StatusForbidden || code == http.StatusUnauthorized):
				t.Errorf("%s with a %s token: %d %s; docs/access.md says yes", route, role, code, body)
			case !allowed[role] && code != http.StatusForbidden:
				t.Errorf("%s with a %s token: %d %s; docs/access.md says no", route, role, code, body)
			case !allowed[role]:
				if p := decodeProblem(t, hdr, body); !strings.Contains(p.Detail, "role") {
					t.Errorf("%s with a %s token: the problem does not name the role it needs: %+v", route, role, p)
				}
			}
		}
	}
	for route := range table {
		if !seen[route] {
			t.Errorf("docs/access.md lists %s, which the router does not serve", route)
		}
	}

	// The OpenAPI document's security says the same, operation by operation.
	v, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range v.Operations() {
		route := op.Method + " " + pathTemplate.ReplaceAllString(op.Path, ":$1")
		allowed, ok := table[route]
		if !ok {
			continue // a public route, or one the router check above reports
		}
		var want []string
		for role, yes := range allowed {
			if yes {
				want = append(want, role)
			}
		}
		slices.Sort(want)
		if !slices.Equal(op.Roles, want) {
			t.Errorf("%s: the OpenAPI document takes the roles %v, docs/access.md %v", route, op.Roles, want)
		}
	}
}

var pathTemplate = regexp.MustCompile(`\{(\w+)\}`)

// TestStaffIsEveryStaffRole: the umbrella role grants the three roles of
// the clinic's people, never the customer's, and the three do not grant
// each other.
func TestStaffIsEveryStaffRole(t *testing.T) {
	t.Parallel()
	staff := auth.Principal{Subject: "nurse-kim", Roles: []string{auth.RoleStaff}}
	for _, r := range auth.StaffRoles {
		if !staff.HasRole(r) {
			t.Errorf("staff lacks %s", r)
		}
	}
	if staff.HasRole(auth.RoleCustomer) || staff.HasRole("superuser") {
		t.Error("staff grants a role outside the staff roles")
	}
	vet := auth.Principal{Subject: "dr-kim", Roles: []string{auth.RoleVet}}
	if vet.HasRole(auth.RoleReception) || vet.HasRole(auth.RoleStaff) || !vet.IsStaff() {
		t.Errorf("vet: reception %v staff %v is staff %v", vet.HasRole(auth.RoleReception), vet.HasRole(auth.RoleStaff), vet.IsStaff())
	}
	if (auth.Principal{Roles: []string{auth.RoleCustomer}}).IsStaff() {
		t.Error("a customer counts as staff")
	}
}

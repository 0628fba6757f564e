package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/admin"
)

// fakeAdmin knows one projection, lookup, with one parked event.
type fakeAdmin struct {
	rebuild *admin.Rebuild
}

var errUnknown = fmt.Errorf("%w %q", admin.ErrUnknownProjection, "nope")

func (f *fakeAdmin) known(name string) error {
	if name != "lookup" {
		return errUnknown
	}
	return nil
}

func (f *fakeAdmin) Statuses(ctx context.Context) ([]admin.Status, error) {
	st, _ := f.Status(ctx, "lookup")
	return []admin.Status{st, {Name: "notice", Namespace: "notice", Checkpoint: 7, Head: 7}}, nil
}

func (f *fakeAdmin) Status(_ context.Context, name string) (admin.Status, error) {
	if err := f.known(name); err != nil {
		return admin.Status{}, err
	}
	return admin.Status{Name: "lookup", Rebuildable: true, Namespace: "lookup~1", Checkpoint: 5, Head: 9, LagEvents: 4, Parked: 1, Running: true}, nil
}

func (f *fakeAdmin) Parked(_ context.Context, name string) ([]projections.Parked, error) {
	if name != "" {
		if err := f.known(name); err != nil {
			return nil, err
		}
	}
	return []projections.Parked{{Subscriber: "lookup", Attempts: 3, Error: "bad slot", ParkedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Event: projections.Event{ID: "poison-1", Type: "ReservationPlaced", Stream: "reservation-y", Position: projections.Position{Commit: 31}}}}, nil
}

func (f *fakeAdmin) ReplayParked(_ context.Context, name string) (int, error) {
	return 1, f.known(name)
}

func (f *fakeAdmin) StartRebuild(_ context.Context, name string) (admin.Rebuild, error) {
	if err := f.known(name); err != nil {
		return admin.Rebuild{}, err
	}
	if f.rebuild != nil && f.rebuild.State == admin.RebuildRunning {
		return *f.rebuild, fmt.Errorf("rebuild %s: %w", name, projections.ErrRebuildRunning)
	}
	f.rebuild = &admin.Rebuild{Projection: name, State: admin.RebuildRunning, StartedAt: time.Now()}
	return *f.rebuild, nil
}

func (f *fakeAdmin) Rebuild(name string) (admin.Rebuild, error) {
	if err := f.known(name); err != nil {
		return admin.Rebuild{}, err
	}
	if f.rebuild == nil {
		return admin.Rebuild{}, admin.ErrNoRebuild
	}
	return *f.rebuild, nil
}

// adminClient serves the admin routes as routes() registers them and
// returns a client with a token of role.
func adminClient(t *testing.T, f *fakeAdmin, role string) *Client {
	t.Helper()
	a := newTestAuth(t)
	srv := httptest.NewServer(checked(t, New(Config{Verifier: a.verifier, Admin: f})))
	t.Cleanup(srv.Close)
	tok := ""
	if role != "" {
		tok = a.token(t, "someone", role)
	}
	return NewClient(srv.URL, tok, srv.Client())
}

func TestAdminRoutesNeedStaff(t *testing.T) {
	t.Parallel()
	for role, want := range map[string]int{"": http.StatusUnauthorized, auth.RoleCustomer: http.StatusForbidden} {
		c := adminClient(t, &fakeAdmin{}, role)
		for name, call := range map[string]func() error{
			"status":  func() error { _, err := c.Projections(context.Background()); return err },
			"parked":  func() error { _, err := c.Parked(context.Background(), ""); return err },
			"replay":  func() error { _, err := c.ReplayParked(context.Background(), "lookup"); return err },
			"rebuild": func() error { _, err := c.StartRebuild(context.Background(), "lookup"); return err },
		} {
			pe, ok := call().(*ProblemError)
			if !ok || pe.StatusCode != want || pe.Problem.Type == "" {
				t.Errorf("%s as %q: %v, want a %d problem", name, role, pe, want)
			}
		}
	}
}

func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := adminClient(t, &fakeAdmin{}, auth.RoleStaff)
	sts, err := c.Projections(ctx)
	if err != nil || len(sts) != 2 || sts[0].Namespace != "lookup~1" || !sts[0].Rebuildable || sts[1].Rebuildable || sts[0].LagEvents != 4 {
		t.Errorf("projections = %+v, %v", sts, err)
	}
	if st, err := c.Projection(ctx, "lookup"); err != nil || st.Head != 9 || !st.Running {
		t.Errorf("projection lookup = %+v, %v", st, err)
	}
	want := []ParkedEvent{{Subscriber: "lookup", Position: 31, EventID: "poison-1", Type: "ReservationPlaced", Stream: "reservation-y",
		Attempts: 3, ParkedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Error: "bad slot"}}
	for _, name := range []string{"", "lookup"} {
		got, err := c.Parked(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("parked %q (-want +got):\n%s", name, diff)
		}
	}
	if n, err := c.ReplayParked(ctx, "lookup"); err != nil || n != 1 {
		t.Errorf("replay = %d, %v", n, err)
	}
	if _, err := c.Rebuild(ctx, "lookup"); !IsProblem(err, "no-rebuild") {
		t.Errorf("rebuild before any = %v, want a no-rebuild problem", err)
	}
	r, err := c.StartRebuild(ctx, "lookup")
	if err != nil || r.State != "running" || r.Finished() {
		t.Fatalf("start rebuild = %+v, %v", r, err)
	}
	if _, err := c.StartRebuild(ctx, "lookup"); !IsProblem(err, "rebuild-running") || err.(*ProblemError).StatusCode != http.StatusConflict {
		t.Errorf("second start = %v, want 409 rebuild-running", err)
	}
	if r, err := c.Rebuild(ctx, "lookup"); err != nil || r.Projection != "lookup" || r.State != "running" {
		t.Errorf("poll = %+v, %v", r, err)
	}
}

func TestAdminUnknownProjectionIs404(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := adminClient(t, &fakeAdmin{}, auth.RoleStaff)
	for name, call := range map[string]func() error{
		"status":  func() error { _, err := c.Projection(ctx, "nope"); return err },
		"parked":  func() error { _, err := c.Parked(ctx, "nope"); return err },
		"replay":  func() error { _, err := c.ReplayParked(ctx, "nope"); return err },
		"rebuild": func() error { _, err := c.StartRebuild(ctx, "nope"); return err },
		"poll":    func() error { _, err := c.Rebuild(ctx, "nope"); return err },
	} {
		err := call()
		pe, ok := err.(*ProblemError)
		if !ok || pe.StatusCode != http.StatusNotFound || !IsProblem(err, "unknown-projection") || pe.Problem.Detail == "" {
			t.Errorf("%s of an unknown projection = %v, want a 404 unknown-projection problem", name, err)
		}
	}
}

func TestStartRebuildAnswers202WithItsLocation(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	s := New(Config{Verifier: a.verifier, Admin: &fakeAdmin{}})
	code, hdr, body := call(t, s, "POST", "/api/v1/admin/projections/lookup/rebuild", a.token(t, "nurse-kim", auth.RoleStaff), "")
	if code != http.StatusAccepted || hdr.Get("Location") != "/api/v1/admin/projections/lookup/rebuild" {
		t.Errorf("POST rebuild = %d, Location %q, %s", code, hdr.Get("Location"), body)
	}
}

package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/admin"
	"github.com/vetclinic/clinic/projections/availability"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/projections/readmodels"
)

// TestAdmin runs status, parked, replay-parked and a polled rebuild on a
// real (embedded) read store, with the projections running beside it.
func TestAdmin(t *testing.T) {
	t.Parallel()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	src := projectionstest.NewMemorySource()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	for i := 0; i < 30; i++ {
		b, _ := json.Marshal(reservation.Placed{Visit: reservation.Visit{
			ReservationID: [16]byte{byte(i + 1)}, Customer: reservation.Customer{Phone: "010-1111-2222"},
			DoctorID: "dr-kim", Slot: time.Date(2026, 12, 1, 1, i, 0, 0, time.UTC), Status: reservation.StatusBooked}})
		src.Append("reservation-x", reservation.TypePlaced, b)
	}
	src.AppendWithID("poison-1", "reservation-y", reservation.TypePlaced, []byte(`{"slot": 42}`))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Another subscriber on the same runtime, with its own namespace.
	if err := store.Commit(ctx, "notice", nil, &projections.Checkpoint{Position: projections.Position{Commit: 100, Prepare: 100}}); err != nil {
		t.Fatal(err)
	}
	projs := readmodels.All(seoul)
	m := &projections.Manager{Source: src, Store: store, Projections: projs, PollInterval: 20 * time.Millisecond}
	go m.Run(ctx)
	a := admin.New(admin.Config{Source: src, Store: store, Manager: m, Projections: projs})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	// The poison event is parked by the lookup once its attempts are spent.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ps, err := a.Parked(ctx, lookup.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 1 && ps[0].Event.ID == "poison-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the poison event was never parked")
		}
	}
	sts, err := a.Statuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]admin.Status{}
	for _, st := range sts {
		got[st.Name] = st
	}
	if lk := got["lookup"]; lk.Namespace != "lookup~1" || !lk.Rebuildable || lk.Parked != 1 || lk.LastError == "" || !lk.Running {
		t.Errorf("lookup status = %+v", lk)
	}
	if n, ok := got["notice"]; !ok || n.Rebuildable || n.Checkpoint != 100 {
		t.Errorf("notice status = %+v (listed %v)", n, ok)
	}
	if len(got) != len(projs)+1 {
		t.Errorf("statuses = %+v, want every read model and notice", sts)
	}
	if n, err := a.ReplayParked(ctx, "lookup"); err != nil || n != 0 {
		t.Errorf("replay of a still-bad event = %d, %v", n, err)
	}

	if _, err := a.Rebuild("lookup"); !errors.Is(err, admin.ErrNoRebuild) {
		t.Errorf("rebuild before any = %v", err)
	}
	r, err := a.StartRebuild(ctx, "lookup")
	if err != nil || r.State != admin.RebuildRunning {
		t.Fatalf("start = %+v, %v", r, err)
	}
	for deadline := time.Now().Add(20 * time.Second); r.State == admin.RebuildRunning; time.Sleep(10 * time.Millisecond) {
		if r, err = a.Rebuild("lookup"); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("rebuild still running: %+v", r)
		}
	}
	if r.State != admin.RebuildDone || r.Progress.Namespace != "lookup~2" || !r.Progress.Switched || r.SwitchedAt.IsZero() || r.FinishedAt.Before(r.SwitchedAt) {
		t.Errorf("rebuild ended as %+v", r)
	}
	if g, _ := store.Generations(ctx, lookup.Name); g.Live != 2 {
		t.Errorf("live copy %d after rebuild, want 2", g.Live)
	}

	for name, err := range map[string]error{
		"status":  func() error { _, err := a.Status(ctx, "nope"); return err }(),
		"parked":  func() error { _, err := a.Parked(ctx, "nope"); return err }(),
		"replay":  func() error { _, err := a.ReplayParked(ctx, "nope"); return err }(),
		"rebuild": func() error { _, err := a.StartRebuild(ctx, "nope"); return err }(),
	} {
		if !errors.Is(err, admin.ErrUnknownProjection) {
			t.Errorf("%s of an unknown projection = %v", name, err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// TestStartRebuildWithoutRun fails instead of hanging when no Run takes it.
func TestStartRebuildWithoutRun(t *testing.T) {
	t.Parallel()
	a := admin.New(admin.Config{Projections: []projections.Projection{{Subscriber: availability.Subscriber(), Rebuildable: true}}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := a.StartRebuild(ctx, availability.Name); err == nil {
		t.Fatal("start without Run succeeded")
	}
	if _, err := a.Rebuild(availability.Name); !errors.Is(err, admin.ErrNoRebuild) {
		t.Errorf("a start that was not taken is still listed: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/mongodb/mongotest"
	"github.com/vetclinic/clinic/projections"
)

// TestProjectionsCLIThroughTheAdminEndpoint runs status, parked,
// replay-parked and rebuild through a serving process's admin endpoint, as
// `clinic projections --data DIR` does on the embedded setup.
func TestProjectionsCLIThroughTheAdminEndpoint(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if err := os.MkdirAll(readDir(data), 0o700); err != nil {
		t.Fatal(err)
	}
	store, err := bolt.Open(filepath.Join(readDir(data), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	src := projections.NewMemorySource()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	for i := 0; i < 30; i++ {
		b, _ := json.Marshal(reservation.Placed{Visit: reservation.Visit{
			ReservationID: [16]byte{byte(i + 1)}, Customer: reservation.Customer{Phone: "010-1111-2222"},
			DoctorID: "dr-kim", Slot: time.Date(2026, 12, 1, 1, i, 0, 0, time.UTC), Status: reservation.StatusBooked}})
		src.Append("reservation-x", reservation.TypePlaced, b)
	}
	src.AppendWithID("poison-1", "reservation-y", reservation.TypePlaced, []byte(`{"slot": 42}`))
	// Another subscriber on the same runtime, with its own namespace.
	if err := store.Commit(context.Background(), "notice", nil, &projections.Checkpoint{Position: projections.Position{Commit: 100, Prepare: 100}}); err != nil {
		t.Fatal(err)
	}

	rs := &readSide{store: store, source: src, loc: seoul}
	rs.manager = &projections.Manager{Source: src, Store: store, Projections: readModels(seoul), PollInterval: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go rs.manager.Run(ctx)
	admin := &localAdmin{rs: rs, projs: readModels(seoul), log: slog.New(slog.DiscardHandler)}
	served := make(chan error, 1)
	go func() { served <- serveAdmin(ctx, data, admin, slog.New(slog.DiscardHandler)) }()
	for {
		if _, err := os.Stat(adminFile(data)); err == nil {
			break
		}
		select {
		case err := <-served:
			t.Fatalf("admin endpoint: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}

	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, append([]string{"projections"}, append(args, "--data", data)...), func(string) string { return "" }, &out, &errOut); err != nil {
			t.Fatalf("clinic projections %v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	// The poison event is parked by the lookup once its attempts are spent.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(cli("parked", "lookup"), "poison-1"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the poison event was never parked")
		}
	}
	status := cli("status")
	for _, want := range []string{"lookup", "ledger", "availability", "lookup~1", "notice"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	if out := cli("replay-parked", "lookup"); !strings.Contains(out, "0 parked events replayed") {
		t.Errorf("replay of a still-bad event: %s", out)
	}
	out := cli("rebuild", "lookup", "--plain")
	if !strings.Contains(out, "switched to lookup~2") {
		t.Errorf("rebuild output:\n%s", out)
	}
	if g, _ := store.Generations(ctx, projections.LookupName); g.Live != 2 {
		t.Errorf("live copy %d after rebuild, want 2", g.Live)
	}
	var errOut bytes.Buffer
	err = run(ctx, []string{"projections", "rebuild", "nope", "--data", data}, func(string) string { return "" }, &bytes.Buffer{}, &errOut)
	if err == nil || !strings.Contains(err.Error(), "unknown projection") {
		t.Errorf("rebuild of an unknown projection: %v", err)
	}
	err = run(ctx, []string{"projections", "status", "--data", t.TempDir()}, func(string) string { return "" }, &bytes.Buffer{}, &errOut)
	if err == nil || !strings.Contains(err.Error(), "no clinic serve") {
		t.Errorf("status without a serving process: %v", err)
	}
	cancel()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("admin endpoint: %v", err)
	}
}

// TestProjectionsCLIOnRealServers works directly on an event store and a
// MongoDB-wire server (--esdb, --mongo), as in production.
func TestProjectionsCLIOnRealServers(t *testing.T) {
	t.Parallel()
	esdbURL := esdbtest.URL(t)
	client := esdbtest.Connect(t, esdbURL)
	mongoURL := mongotest.URL(t)
	dbName := "cli" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	for i := 0; i < 3; i++ {
		id := uuid.New()
		b, _ := json.Marshal(reservation.Placed{Visit: reservation.Visit{ReservationID: id, Customer: reservation.Customer{Phone: "010-1111-2222"},
			DoctorID: "dr-kim", Slot: time.Date(2026, 12, 1, 1, i, 0, 0, time.UTC), Status: reservation.StatusBooked}})
		if _, err := client.AppendToStream(context.Background(), reservation.Stream(id), esdb.AppendToStreamOptions{},
			esdb.EventData{EventType: reservation.TypePlaced, ContentType: esdb.ContentTypeJson, Data: b}); err != nil {
			t.Fatal(err)
		}
	}
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		full := append([]string{"projections"}, append(args, "--esdb", esdbURL, "--mongo", mongoURL, "--mongo-db", dbName)...)
		if err := run(context.Background(), full, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Fatalf("clinic %v: %v\n%s", full, err, errOut.String())
		}
		return out.String()
	}
	if out := cli("rebuild", "lookup"); !strings.Contains(out, "switched to lookup~2 after 3 events") {
		t.Errorf("first build:\n%s", out)
	}
	if out := cli("rebuild", "lookup"); !strings.Contains(out, "switched to lookup~3 after 3 events") {
		t.Errorf("rebuild:\n%s", out)
	}
	status := cli("status")
	if !strings.Contains(status, "lookup~3") {
		t.Errorf("status:\n%s", status)
	}
	if out := cli("parked"); !strings.Contains(out, "no parked events") {
		t.Errorf("parked:\n%s", out)
	}
}

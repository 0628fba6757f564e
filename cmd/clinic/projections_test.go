package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/app"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/mongodb/mongotest"
)

// appendPlaced appends n placements and, when poison is set, one placement
// no fold can read, to the event store at url.
func appendPlaced(t *testing.T, url string, n int, poison bool) {
	t.Helper()
	client := esdbtest.Connect(t, url)
	ctx := context.Background()
	for i := 0; i < n; i++ {
		id := uuid.New()
		b, _ := json.Marshal(reservation.Placed{Visit: reservation.Visit{ReservationID: id, Customer: reservation.Customer{Phone: "010-1111-2222"},
			DoctorID: "dr-kim", Slot: time.Date(2026, 12, 1, 1, i, 0, 0, time.UTC), Status: reservation.StatusBooked}})
		if _, err := client.AppendToStream(ctx, reservation.Stream(id), esdb.AppendToStreamOptions{},
			esdb.EventData{EventType: reservation.TypePlaced, ContentType: esdb.ContentTypeJson, Data: b}); err != nil {
			t.Fatal(err)
		}
	}
	if poison {
		if _, err := client.AppendToStream(ctx, reservation.Stream(uuid.New()), esdb.AppendToStreamOptions{},
			esdb.EventData{EventType: reservation.TypePlaced, ContentType: esdb.ContentTypeJson, Data: []byte(`{"slot": 42}`)}); err != nil {
			t.Fatal(err)
		}
	}
}

// cliRun runs the CLI with getenv and returns its output and error.
func cliRun(getenv env, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, &out, &errOut)
	if err != nil && errOut.Len() > 0 {
		err = errors.Join(err, errors.New(errOut.String()))
	}
	return out.String(), err
}

// TestProjectionsCLIThroughTheAPI runs status, parked, replay-parked and
// rebuild against a clinic serve on a random port, through its staff API:
// found with --server, with CLINIC_SERVER, and through the address serve
// recorded in its data folder.
func TestProjectionsCLIThroughTheAPI(t *testing.T) {
	t.Parallel()
	url := esdbtest.URL(t)
	appendPlaced(t, url, 30, true)
	p := startClinic(t, "--esdb", url, "--roles", "command,query,projector,notice")
	cli := func(args ...string) string {
		t.Helper()
		out, err := cliRun(noEnv, append([]string{"projections"}, append(args, "--data", p.data)...)...)
		if err != nil {
			t.Fatalf("clinic projections %v: %v", args, err)
		}
		return out
	}
	// The poison event is parked by the lookup once its attempts are spent.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(cli("parked", "lookup"), "ReservationPlaced"); time.Sleep(20 * time.Millisecond) {
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
	if out := cli("parked"); !strings.Contains(out, "lookup") || !strings.Contains(out, "SUBSCRIBER") {
		t.Errorf("parked of every subscriber:\n%s", out)
	}
	if out := cli("replay-parked", "lookup"); !strings.Contains(out, "0 parked events replayed") {
		t.Errorf("replay of a still-bad event: %s", out)
	}
	out := cli("rebuild", "lookup", "--plain")
	if !strings.Contains(out, "switched to lookup~2 after 31 events") {
		t.Errorf("rebuild output:\n%s", out)
	}
	// The same through --server and CLINIC_SERVER, with an explicit token.
	staff := p.token(t, "staff", "nurse-kim")
	if out, err := cliRun(noEnv, "projections", "status", "--server", p.base, "--token", staff, "--data", t.TempDir()); err != nil || !strings.Contains(out, "lookup~2") {
		t.Errorf("status --server = %v\n%s", err, out)
	}
	viaEnv := func(k string) string {
		return map[string]string{"CLINIC_SERVER": p.base, "CLINIC_TOKEN": staff, "CLINIC_DATA": t.TempDir()}[k]
	}
	if out, err := cliRun(viaEnv, "projections", "rebuild", "all", "--plain"); err != nil ||
		!strings.Contains(out, "switched to lookup~3") || !strings.Contains(out, "switched to ledger~2") || !strings.Contains(out, "switched to availability~2") ||
		strings.Contains(out, "notice") {
		t.Errorf("rebuild all via CLINIC_SERVER = %v\n%s", err, out)
	}

	if _, err := cliRun(noEnv, "projections", "rebuild", "nope", "--data", p.data); err == nil || !strings.Contains(err.Error(), "unknown projection") ||
		!strings.Contains(err.Error(), "404") {
		t.Errorf("rebuild of an unknown projection: %v", err)
	}
	customer := p.token(t, "customer", "010-1111-2222")
	if _, err := cliRun(noEnv, "projections", "status", "--data", p.data, "--token", customer); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("status as a customer: %v", err)
	}
	if _, err := cliRun(noEnv, "projections", "status", "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no clinic serve") {
		t.Errorf("status without a serving process: %v", err)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(app.RecordFile(p.data)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve left its address record after a clean stop: %v", err)
	}
}

// TestProjectionsCLIOnRealServers administers a clinic serve that keeps its
// read models in a MongoDB-wire server and its events in an event store
// (--esdb, --mongo), as in production.
func TestProjectionsCLIOnRealServers(t *testing.T) {
	t.Parallel()
	esdbURL := esdbtest.URL(t)
	appendPlaced(t, esdbURL, 3, false)
	mongoURL := mongotest.URL(t)
	dbName := "cli" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	p := startClinic(t, "--esdb", esdbURL, "--mongo", mongoURL, "--mongo-db", dbName, "--roles", "projector")
	cli := func(args ...string) string {
		t.Helper()
		full := append([]string{"projections"}, append(args, "--server", p.base, "--data", p.data)...)
		out, err := cliRun(noEnv, full...)
		if err != nil {
			t.Fatalf("clinic %v: %v", full, err)
		}
		return out
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

func TestProjectionsUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"projections", "bogus"}, {"projections", "rebuild"}, {"projections", "replay-parked"},
		{"projections", "parked", "a", "b"}, {"projections", "status", "--server", "ftp://x", "--token", "t"}} {
		if _, err := cliRun(noEnv, args...); err == nil {
			t.Errorf("%q: want an error", args)
		}
	}
}

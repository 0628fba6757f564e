package esdb_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

// TestSubscriptionSurvivesAServerRestart stops the embedded event store
// under a live projection and starts it again on the same data and port:
// the runner counts the drop, resubscribes from its checkpoint and folds
// what was appended after the restart, with nothing doubled.
func TestSubscriptionSurvivesAServerRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	client := esdbtest.Connect(t, srv.URL())
	var ids []string
	appendOne := func(i int) projections.Position {
		t.Helper()
		stream, ev := placedEvent(t, i)
		var res *esdbclient.WriteResult
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if res, err = client.AppendToStream(ctx, stream, esdbclient.AppendToStreamOptions{}, ev); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("append after restart: %v", err)
			}
		}
		ids = append(ids, stream[len("reservation-"):])
		return projections.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}
	}
	for i := 0; i < 5; i++ {
		appendOne(i)
	}
	last := appendOne(5)
	store := openStore(t)
	r := projectionstest.Start(t, esdb.Source{Client: client}, store, lookup.Subscriber(seoul), 100)
	r.WaitFor(t, last)

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); r.R.Status().Drops == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the runner never noticed the server going away")
		}
	}
	srv, err = eventstore.Start(ctx, addr, eventstore.Options{Dir: dir})
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	t.Cleanup(func() { srv.Close() })
	last = appendOne(6)
	r.WaitFor(t, last)

	cp, _, _ := store.Checkpoint(ctx, "lookup~1")
	if cp.Events != 7 {
		t.Errorf("checkpoint counts %d events, want 7", cp.Events)
	}
	for _, id := range ids {
		d, ok, err := store.Get(ctx, "lookup~1", lookup.Coll, id)
		var res lookup.Reservation
		if err != nil || !ok || json.Unmarshal(d.Body, &res) != nil || len(res.Timeline) != 1 {
			t.Errorf("reservation %s: %+v (ok %v, %v); want it once", id, res, ok, err)
		}
	}
	if st := r.R.Status(); st.Drops < 1 || st.LastError == "" {
		t.Errorf("status %+v: want the drop counted with its error", st)
	}
}

package mongodb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/mongodb"
	"github.com/vetclinic/clinic/mongodb/mongotest"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

// TestLookupSurvivesRedeliveryOnMongo runs the lookup projection into a
// MongoDB-wire store, then delivers every event again as after a crash
// between the documents and the checkpoint (no transaction ties them on
// MongoDB): the read model must not change.
func TestLookupSurvivesRedeliveryOnMongo(t *testing.T) {
	t.Parallel()
	db := mongotest.Database(t)
	store := mongodb.New(db)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	src := projectionstest.NewMemorySource()
	var ids []string
	var last projections.Event
	for i := 0; i < 40; i++ {
		id := uuid.New()
		ids = append(ids, id.String())
		v := reservation.Visit{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
			Customer: reservation.Customer{Name: "c", Phone: fmt.Sprintf("010-0000-%04d", i%5)}, Pet: reservation.Pet{Name: "Coco", Species: "dog"},
			DoctorID: "dr-kim", Slot: time.Date(2026, 12, 1, 1, i, 0, 0, time.UTC), Status: reservation.StatusBooked}
		b, _ := json.Marshal(reservation.Placed{Visit: v})
		last = src.Append(reservation.Stream(id), reservation.TypePlaced, b)
		if i%3 == 0 {
			v.Status = reservation.StatusCheckedIn
			b, _ = json.Marshal(reservation.CheckedIn{Visit: v})
			last = src.Append(reservation.Stream(id), reservation.TypeCheckedIn, b)
		}
	}
	run := func(batch int) {
		t.Helper()
		reached := make(chan struct{}, 1)
		r := &projections.Runner{Source: src, Store: store, Subscriber: lookup.Subscriber(seoul), Namespace: "lookup~1", BatchSize: batch,
			OnCommit: func(cp projections.Checkpoint) {
				if !cp.Position.Less(last.Position) {
					select {
					case reached <- struct{}{}:
					default:
					}
				}
			}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		select {
		case <-reached:
		case <-time.After(30 * time.Second):
			t.Fatalf("lookup did not catch up: %+v", r.Status())
		}
		cancel()
		<-done
	}
	snapshot := func() map[string]lookup.Reservation {
		t.Helper()
		out := map[string]lookup.Reservation{}
		for _, id := range ids {
			d, ok, err := store.Get(context.Background(), "lookup~1", lookup.Coll, id)
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", id, ok, err)
			}
			var r lookup.Reservation
			if err := json.Unmarshal(d.Body, &r); err != nil {
				t.Fatal(err)
			}
			out[id] = r
		}
		return out
	}
	run(16)
	want := snapshot()
	if err := store.Commit(context.Background(), "lookup~1", nil, &projections.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	run(7)
	if diff := cmp.Diff(want, snapshot()); diff != "" {
		t.Errorf("redelivery changed the read model (-want +got):\n%s", diff)
	}
	docs, err := store.Find(context.Background(), "lookup~1", lookup.Coll, lookup.KeyPhone, "01000000001", 0)
	if err != nil || len(docs) != 8 {
		t.Errorf("by phone: %d documents, %v; want 8", len(docs), err)
	}
}

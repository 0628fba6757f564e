package esdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

func placedEvent(t testing.TB, i int) (string, esdbclient.EventData) {
	id := uuid.New()
	slot := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%40) * 15 * time.Minute)
	b, err := json.Marshal(reservation.Placed{Visit: reservation.Visit{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
		Customer: reservation.Customer{Name: "c", Phone: fmt.Sprintf("010-%04d-%04d", i%10000, i%7)}, Pet: reservation.Pet{Name: "Coco", Species: "dog"},
		DoctorID: fmt.Sprintf("dr-%d", i%5), Slot: slot, Status: reservation.StatusBooked, At: slot.Add(-time.Hour)}, Reason: "check-up"})
	if err != nil {
		t.Fatal(err)
	}
	return reservation.Stream(id), esdbclient.EventData{EventID: id, EventType: reservation.TypePlaced, ContentType: esdbclient.ContentTypeJson, Data: b}
}

// TestLookupOnTheEventStore runs the lookup projection on the embedded
// event store through the official client: server-side filter, catch-up,
// live, and resumption after the runner restarts.
func TestLookupOnTheEventStore(t *testing.T) {
	t.Parallel()
	client := esdbtest.Client(t)
	ctx := context.Background()
	other := esdbclient.EventData{EventType: "SomethingElse", ContentType: esdbclient.ContentTypeJson, Data: []byte(`{}`)}
	var streams []string
	appendOne := func(i int) *esdbclient.WriteResult {
		stream, ev := placedEvent(t, i)
		res, err := client.AppendToStream(ctx, stream, esdbclient.AppendToStreamOptions{}, ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.AppendToStream(ctx, "unrelated-1", esdbclient.AppendToStreamOptions{}, other); err != nil {
			t.Fatal(err)
		}
		streams = append(streams, stream)
		return res
	}
	for i := 0; i < 20; i++ {
		appendOne(i)
	}
	store := openStore(t)
	src := esdb.Source{Client: client}
	head, err := src.Head(ctx, projections.ClinicFilter())
	if err != nil {
		t.Fatal(err)
	}
	if head.Type != reservation.TypePlaced {
		t.Errorf("head of the filter is a %q, want the last reservation event", head.Type)
	}
	if n, err := src.Count(ctx, projections.Position{}, projections.ClinicFilter(), 1000); err != nil || n != 20 {
		t.Errorf("Count = %d, %v; want 20", n, err)
	}
	end, err := src.Head(ctx, projections.Filter{StreamPrefixes: []string{"unrelated-"}})
	if err != nil || !head.Position.Less(end.Position) {
		t.Fatalf("head of unrelated-: %v, %v", end.Position, err)
	}
	if more, err := src.AnyUpTo(ctx, head.Position, end.Position.Commit, projections.ClinicFilter()); err != nil || more {
		t.Errorf("AnyUpTo after the last reservation = %v, %v; want false", more, err)
	}
	if more, err := src.AnyUpTo(ctx, projections.Position{}, end.Position.Commit, projections.ClinicFilter()); err != nil || !more {
		t.Errorf("AnyUpTo from the start = %v, %v; want true", more, err)
	}
	for _, upTo := range []uint64{end.Position.Commit + 1, math.MaxUint64} {
		if more, err := src.AnyUpTo(ctx, end.Position, upTo, projections.ClinicFilter()); err != nil || !more {
			t.Errorf("AnyUpTo(%d) beyond the head %d = %v, %v; want true (events may still come there)", upTo, end.Position.Commit, more, err)
		}
	}
	r := projectionstest.Start(t, src, store, lookup.Subscriber(seoul), 7)
	r.WaitFor(t, head.Position)
	r.Stop()
	last := appendOne(20) // while stopped
	r2 := projectionstest.Start(t, src, store, lookup.Subscriber(seoul), 7)
	r2.WaitFor(t, projections.Position{Commit: last.CommitPosition, Prepare: last.PreparePosition})
	last = appendOne(21) // live
	r2.WaitFor(t, projections.Position{Commit: last.CommitPosition, Prepare: last.PreparePosition})

	for _, s := range streams {
		id := s[len(reservation.StreamPrefix):]
		d, ok, err := store.Get(ctx, "lookup~1", lookup.Coll, id)
		if err != nil || !ok {
			t.Fatalf("reservation %s missing: %v", id, err)
		}
		var res lookup.Reservation
		if err := json.Unmarshal(d.Body, &res); err != nil || len(res.Timeline) != 1 {
			t.Errorf("reservation %s: %+v (want one timeline entry: nothing doubled)", id, res)
		}
	}
	if st := r2.R.Status(); !st.Live || st.Checkpoint.Events != 22 {
		t.Errorf("status after restart %+v, want live after 22 events in all", st)
	}
}

func openStore(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var seoul, _ = time.LoadLocation("Asia/Seoul")

// TestSourceSaysTheEventStoreIsUnavailable: a call to a store that is not
// there fails with projections.ErrSourceUnavailable (the read side answers
// 503 on it), not with an error nothing can tell from a bad answer.
func TestSourceSaysTheEventStoreIsUnavailable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	src := esdb.Source{Client: esdbtest.Connect(t, "esdb://"+addr+"?tls=false&maxDiscoverAttempts=1"), CallTimeout: 5 * time.Second}
	ctx := context.Background()
	if _, err := src.AnyUpTo(ctx, projections.Position{}, 10, projections.ClinicFilter()); !errors.Is(err, projections.ErrSourceUnavailable) {
		t.Errorf("AnyUpTo with the store down: %v, want ErrSourceUnavailable", err)
	}
	if _, err := src.Head(ctx, projections.ClinicFilter()); !errors.Is(err, projections.ErrSourceUnavailable) {
		t.Errorf("Head with the store down: %v, want ErrSourceUnavailable", err)
	}
}

// Package storetest is the contract every projections.Store must meet. Each
// adapter's tests call Run with a constructor for a fresh, empty store.
package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/projections"
)

// Run runs the contract suite against stores made by newStore, one per
// subtest. Subtests do not run in parallel: some adapters (FerretDB) are
// slow and serialise anyway.
func Run(t *testing.T, newStore func(t *testing.T) projections.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s projections.Store)
	}{
		{"GetMissing", testGetMissing},
		{"CommitAndGet", testCommitAndGet},
		{"PositionGuard", testPositionGuard},
		{"Force", testForce},
		{"FindByKey", testFindByKey},
		{"CheckpointWithDocuments", testCheckpoint},
		{"NamespacesAreSeparate", testNamespaces},
		{"Drop", testDrop},
		{"Generations", testGenerations},
		{"Parked", testParked},
		{"StaffReadModels", testStaffReadModels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

func pos(n uint64) projections.Position { return projections.Position{Commit: n, Prepare: n} }

func doc(id string, p uint64, body string, keys map[string]string) projections.Doc {
	return projections.Doc{ID: id, Position: pos(p), Keys: keys, Body: []byte(body)}
}

func commit(t *testing.T, s projections.Store, ns string, cp *projections.Checkpoint, ws ...projections.Write) {
	t.Helper()
	if err := s.Commit(context.Background(), ns, ws, cp); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func mustGet(t *testing.T, s projections.Store, ns, coll, id string) projections.Doc {
	t.Helper()
	d, ok, err := s.Get(context.Background(), ns, coll, id)
	if err != nil || !ok {
		t.Fatalf("Get(%s, %s, %s) = ok %v, err %v; want the document", ns, coll, id, ok, err)
	}
	return d
}

// sameJSON compares JSON bodies by meaning: stores may re-encode them.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("stored body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func testGetMissing(t *testing.T, s projections.Store) {
	_, ok, err := s.Get(context.Background(), "ns1", "things", "nope")
	if err != nil || ok {
		t.Fatalf("Get of a missing document = ok %v, err %v; want false, nil", ok, err)
	}
	cp, ok, err := s.Checkpoint(context.Background(), "ns1")
	if err != nil || ok {
		t.Fatalf("Checkpoint of a fresh namespace = %v, ok %v, err %v", cp, ok, err)
	}
}

func testCommitAndGet(t *testing.T, s projections.Store) {
	body := `{"name":"Coco","n":3,"nested":{"list":[1,"two",{"x":true}]},"empty":null}`
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: doc("a", 7, body, map[string]string{"phone": "01012345678"})})
	d := mustGet(t, s, "ns1", "things", "a")
	if d.ID != "a" || d.Position != pos(7) {
		t.Errorf("got id %q position %v, want a %v", d.ID, d.Position, pos(7))
	}
	if diff := cmp.Diff(map[string]string{"phone": "01012345678"}, d.Keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	sameJSON(t, d.Body, body)
}

func testPositionGuard(t *testing.T, s projections.Store) {
	w := func(p uint64, body string) projections.Write {
		return projections.Write{Coll: "things", Doc: doc("a", p, body, nil)}
	}
	commit(t, s, "ns1", nil, w(10, `{"v":10}`))
	commit(t, s, "ns1", nil, w(10, `{"v":"redelivered"}`))
	commit(t, s, "ns1", nil, w(5, `{"v":"older"}`))
	d := mustGet(t, s, "ns1", "things", "a")
	sameJSON(t, d.Body, `{"v":10}`)
	commit(t, s, "ns1", nil, w(11, `{"v":11}`))
	d = mustGet(t, s, "ns1", "things", "a")
	sameJSON(t, d.Body, `{"v":11}`)
	if d.Position != pos(11) {
		t.Errorf("position %v, want %v", d.Position, pos(11))
	}
	// The prepare position breaks ties between equal commit positions.
	later := projections.Doc{ID: "a", Position: projections.Position{Commit: 11, Prepare: 12}, Body: []byte(`{"v":"11.12"}`)}
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: later})
	sameJSON(t, mustGet(t, s, "ns1", "things", "a").Body, `{"v":"11.12"}`)
}

func testForce(t *testing.T, s projections.Store) {
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: doc("a", 10, `{"v":1}`, nil)})
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: doc("a", 10, `{"v":2}`, nil), Force: true})
	sameJSON(t, mustGet(t, s, "ns1", "things", "a").Body, `{"v":2}`)
}

func ids(docs []projections.Doc) []string {
	out := []string{}
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out
}

func testFindByKey(t *testing.T, s projections.Store) {
	ctx := context.Background()
	for range 2 { // idempotent
		if err := s.EnsureIndexes(ctx, "ns1", "things", []string{"phone", "day"}); err != nil {
			t.Fatalf("EnsureIndexes: %v", err)
		}
	}
	k := func(phone, day string) map[string]string { return map[string]string{"phone": phone, "day": day} }
	commit(t, s, "ns1", nil,
		projections.Write{Coll: "things", Doc: doc("c", 1, `{"i":"c"}`, k("111", "d1"))},
		projections.Write{Coll: "things", Doc: doc("a", 2, `{"i":"a"}`, k("111", "d2"))},
		projections.Write{Coll: "things", Doc: doc("b", 3, `{"i":"b"}`, k("222", "d1"))},
		projections.Write{Coll: "other", Doc: doc("z", 3, `{"i":"z"}`, k("111", "d1"))},
	)
	find := func(key, value string, limit int) []string {
		t.Helper()
		docs, err := s.Find(ctx, "ns1", "things", key, value, limit)
		if err != nil {
			t.Fatalf("Find(%s=%s): %v", key, value, err)
		}
		return ids(docs)
	}
	check := func(got, want []string) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	}
	check(find("phone", "111", 0), []string{"a", "c"})
	check(find("phone", "111", 1), []string{"a"})
	check(find("day", "d1", 0), []string{"b", "c"})
	check(find("phone", "11", 0), []string{})
	check(find("phone", "999", 0), []string{})

	// A changed key moves the document from one value's list to the other.
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: doc("c", 4, `{"i":"c2"}`, k("222", "d1"))})
	check(find("phone", "111", 0), []string{"a"})
	check(find("phone", "222", 0), []string{"b", "c"})
	// A stale write changes no index either.
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: doc("c", 3, `{"i":"old"}`, k("333", "d9"))})
	check(find("phone", "333", 0), []string{})
	check(find("phone", "222", 0), []string{"b", "c"})
}

func testCheckpoint(t *testing.T, s projections.Store) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 1, 2, 3, 0, time.UTC)
	cp := &projections.Checkpoint{Position: pos(42), EventTime: at, Events: 3, UpdatedAt: at.Add(time.Second)}
	commit(t, s, "ns1", cp, projections.Write{Coll: "things", Doc: doc("a", 42, `{}`, nil)})
	got, ok, err := s.Checkpoint(ctx, "ns1")
	if err != nil || !ok {
		t.Fatalf("Checkpoint = ok %v err %v", ok, err)
	}
	if !got.EventTime.Equal(at) || !got.UpdatedAt.Equal(at.Add(time.Second)) {
		t.Errorf("times %v %v, want %v %v", got.EventTime, got.UpdatedAt, at, at.Add(time.Second))
	}
	got.EventTime, got.UpdatedAt = cp.EventTime, cp.UpdatedAt
	if diff := cmp.Diff(*cp, got); diff != "" {
		t.Errorf("checkpoint (-want +got):\n%s", diff)
	}
	// A commit without a checkpoint leaves it alone; a checkpoint alone moves it.
	commit(t, s, "ns1", nil, projections.Write{Coll: "things", Doc: doc("b", 50, `{}`, nil)})
	if got, _, _ := s.Checkpoint(ctx, "ns1"); got.Position != pos(42) {
		t.Errorf("checkpoint moved to %v without being written", got.Position)
	}
	commit(t, s, "ns1", &projections.Checkpoint{Position: pos(60), Events: 4})
	if got, _, _ := s.Checkpoint(ctx, "ns1"); got.Position != pos(60) || got.Events != 4 {
		t.Errorf("checkpoint %+v, want position 60 and 4 events", got)
	}
}

func testNamespaces(t *testing.T, s projections.Store) {
	ctx := context.Background()
	commit(t, s, "lookup~1", &projections.Checkpoint{Position: pos(1)}, projections.Write{Coll: "things", Doc: doc("a", 1, `{"ns":1}`, map[string]string{"k": "v"})})
	commit(t, s, "lookup~2", &projections.Checkpoint{Position: pos(2)}, projections.Write{Coll: "things", Doc: doc("a", 1, `{"ns":2}`, map[string]string{"k": "v"})})
	sameJSON(t, mustGet(t, s, "lookup~1", "things", "a").Body, `{"ns":1}`)
	sameJSON(t, mustGet(t, s, "lookup~2", "things", "a").Body, `{"ns":2}`)
	docs, err := s.Find(ctx, "lookup~2", "things", "k", "v", 0)
	if err != nil || len(docs) != 1 {
		t.Fatalf("Find in lookup~2 = %d docs, %v; want 1", len(docs), err)
	}
	sameJSON(t, docs[0].Body, `{"ns":2}`)
	got, err := s.Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"lookup~1": true, "lookup~2": true}
	for _, ns := range got {
		delete(want, ns)
	}
	if len(want) != 0 {
		t.Errorf("Namespaces() = %v, missing %v", got, want)
	}
}

func testDrop(t *testing.T, s projections.Store) {
	ctx := context.Background()
	commit(t, s, "gone~1", &projections.Checkpoint{Position: pos(9)},
		projections.Write{Coll: "things", Doc: doc("a", 1, `{}`, map[string]string{"k": "v"})},
		projections.Write{Coll: "more", Doc: doc("b", 1, `{}`, nil)})
	commit(t, s, "kept~1", &projections.Checkpoint{Position: pos(9)}, projections.Write{Coll: "things", Doc: doc("a", 1, `{}`, nil)})
	if err := s.Drop(ctx, "gone~1"); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	if _, ok, _ := s.Get(ctx, "gone~1", "things", "a"); ok {
		t.Error("document survived Drop")
	}
	if _, ok, _ := s.Checkpoint(ctx, "gone~1"); ok {
		t.Error("checkpoint survived Drop")
	}
	if docs, _ := s.Find(ctx, "gone~1", "things", "k", "v", 0); len(docs) != 0 {
		t.Error("index entries survived Drop")
	}
	mustGet(t, s, "kept~1", "things", "a")
	if err := s.Drop(ctx, "never~1"); err != nil {
		t.Errorf("Drop of an unknown namespace: %v", err)
	}
	// A dropped namespace can be filled again from scratch.
	commit(t, s, "gone~1", nil, projections.Write{Coll: "things", Doc: doc("a", 1, `{"again":true}`, nil)})
	sameJSON(t, mustGet(t, s, "gone~1", "things", "a").Body, `{"again":true}`)
}

func testGenerations(t *testing.T, s projections.Store) {
	ctx := context.Background()
	g, err := s.Generations(ctx, "lookup")
	if err != nil || g != (projections.Generations{}) {
		t.Fatalf("fresh Generations = %+v, %v; want zero", g, err)
	}
	ok, err := s.SwapGenerations(ctx, "lookup", g, projections.Generations{Live: 1})
	if err != nil || !ok {
		t.Fatalf("first swap = %v, %v; want true", ok, err)
	}
	ok, err = s.SwapGenerations(ctx, "lookup", g, projections.Generations{Live: 7})
	if err != nil || ok {
		t.Fatalf("swap from a stale version = %v, %v; want false", ok, err)
	}
	g1, err := s.Generations(ctx, "lookup")
	if err != nil || g1.Live != 1 || g1.Version == 0 {
		t.Fatalf("after swap Generations = %+v, %v; want Live 1 and a version", g1, err)
	}
	beat := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	next := projections.Generations{Live: 1, Building: 2, Owner: "me", Heartbeat: beat}
	if ok, err := s.SwapGenerations(ctx, "lookup", g1, next); err != nil || !ok {
		t.Fatalf("second swap = %v, %v", ok, err)
	}
	g2, _ := s.Generations(ctx, "lookup")
	if g2.Building != 2 || g2.Owner != "me" || !g2.Heartbeat.Equal(beat) || g2.Version == g1.Version {
		t.Errorf("Generations = %+v, want building 2 owned by me at %v with a new version", g2, beat)
	}
	if other, _ := s.Generations(ctx, "ledger"); other != (projections.Generations{}) {
		t.Errorf("another projection's pointers = %+v, want zero", other)
	}
}

func testParked(t *testing.T, s projections.Store) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	p := func(sub, id string, n uint64) projections.Parked {
		return projections.Parked{Subscriber: sub, Error: "boom " + id, Attempts: 3, ParkedAt: at, Event: projections.Event{
			ID: id, Type: "ReservationPlaced", Stream: "reservation-1", Revision: n, Position: pos(n), Created: at,
			Data: []byte(`{"x":1}`),
		}}
	}
	for _, x := range []projections.Parked{p("lookup", "e2", 20), p("lookup", "e1", 10), p("ledger", "e3", 15)} {
		if err := s.Park(ctx, x); err != nil {
			t.Fatalf("Park: %v", err)
		}
	}
	got, err := s.ParkedEvents(ctx, "lookup")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]projections.Parked{p("lookup", "e1", 10), p("lookup", "e2", 20)}, got); diff != "" {
		t.Errorf("parked (-want +got):\n%s", diff)
	}
	all, _ := s.ParkedEvents(ctx, "")
	if len(all) != 3 {
		t.Errorf("all parked = %d, want 3", len(all))
	}
	if err := s.Unpark(ctx, "lookup", "e1"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ParkedEvents(ctx, "lookup")
	if len(got) != 1 || got[0].Event.ID != "e2" {
		t.Errorf("after Unpark: %+v, want only e2", got)
	}
}

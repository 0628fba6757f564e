// Package storetest is the contract every notice store meets: the memory
// store and the read-store adapter run it.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/projections"
)

// Store is what the suite tests.
type Store interface {
	notice.Store
	notice.VisitStore
}

// Run runs the suite, one fresh store from newStore per subtest.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"AddOnce", testAddOnce},
		{"NotFound", testNotFound},
		{"SaveRoundTrip", testSaveRoundTrip},
		{"Due", testDue},
		{"List", testList},
		{"Visits", testVisits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func message(id, res string, created time.Time) notice.Message {
	return notice.Message{
		ID: id, Kind: notice.KindPlaced, ReservationID: res, Position: 7, Locale: notice.Korean,
		To: "010-1234-5678", Text: "text " + id, CreatedAt: created, Status: notice.StatusPending, NextAttemptAt: created,
		Facts: notice.Facts{Kind: notice.KindPlaced, Clinic: "C", Pet: "Coco", Slot: t0.Add(48 * time.Hour)},
	}
}

func add(t *testing.T, s Store, m notice.Message) {
	t.Helper()
	if added, err := s.Add(context.Background(), m); err != nil || !added {
		t.Fatalf("Add(%s) = %v, %v; want added", m.ID, added, err)
	}
}

func ids(ms []notice.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func testAddOnce(t *testing.T, s Store) {
	ctx := context.Background()
	m := message("m1", "r1", t0)
	add(t, s, m)
	again := m
	again.Text = "changed"
	if added, err := s.Add(ctx, again); err != nil || added {
		t.Fatalf("second Add = %v, %v; want not added", added, err)
	}
	got, err := s.Get(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("Get after two adds (-first +got):\n%s", diff)
	}
	r := message("reminder", "r1", t0) // reminders have no position
	r.Position = 0
	add(t, s, r)
	if added, err := s.Add(ctx, r); err != nil || added {
		t.Errorf("second Add of a positionless message = %v, %v; want not added", added, err)
	}
}

func testNotFound(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, notice.ErrNotFound) {
		t.Errorf("Get missing = %v, want ErrNotFound", err)
	}
	if err := s.Save(ctx, message("nope", "r", t0)); !errors.Is(err, notice.ErrNotFound) {
		t.Errorf("Save missing = %v, want ErrNotFound", err)
	}
}

func testSaveRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	m := message("m1", "r1", t0)
	add(t, s, m)
	m.Kind, m.Facts.Kind = notice.KindInvoiceIssued, notice.KindInvoiceIssued
	m.Facts.Amount, m.Facts.Currency, m.Facts.Reason, m.Facts.OldSlot = 35000, "KRW", "why", t0.Add(time.Hour)
	m.Status, m.Tries, m.SentAt, m.LastError = notice.StatusSent, 2, t0.Add(3*time.Second), ""
	m.Attempts = []notice.Attempt{
		{At: t0, Channel: "webhook", Duration: 1500 * time.Microsecond, Error: "503 Service Unavailable"},
		{At: t0.Add(2 * time.Second), Channel: "webhook", Duration: 1234567 * time.Nanosecond},
	}
	if err := s.Save(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("Get after Save (-saved +got):\n%s", diff)
	}
}

func testDue(t *testing.T, s Store) {
	ctx := context.Background()
	for i, id := range []string{"c", "a", "b", "d"} {
		m := message(id, "r", t0)
		m.NextAttemptAt = t0.Add(time.Duration(i) * time.Minute) // c, a, b, d
		add(t, s, m)
	}
	sent, _ := s.Get(ctx, "a")
	sent.Status = notice.StatusSent
	if err := s.Save(ctx, sent); err != nil {
		t.Fatal(err)
	}
	got, err := s.Due(ctx, t0.Add(2*time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c", "b"}, ids(got)); diff != "" {
		t.Errorf("Due (-want +got):\n%s", diff)
	}
	got, _ = s.Due(ctx, t0.Add(time.Hour), 2)
	if diff := cmp.Diff([]string{"c", "b"}, ids(got)); diff != "" {
		t.Errorf("Due with limit (-want +got):\n%s", diff)
	}
	if got, _ := s.Due(ctx, t0.Add(-time.Second), 0); len(got) != 0 {
		t.Errorf("Due before everything = %v", ids(got))
	}
}

func testList(t *testing.T, s Store) {
	ctx := context.Background()
	add(t, s, message("r1-old", "r1", t0))
	add(t, s, message("r1-new", "r1", t0.Add(time.Minute)))
	add(t, s, message("r2", "r2", t0.Add(30*time.Second)))
	dead, _ := s.Get(ctx, "r1-old")
	dead.Status = notice.StatusDead
	if err := s.Save(ctx, dead); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    notice.Filter
		want []string
	}{
		{notice.Filter{}, []string{"r1-new", "r2", "r1-old"}},
		{notice.Filter{Limit: 2}, []string{"r1-new", "r2"}},
		{notice.Filter{ReservationID: "r1"}, []string{"r1-new", "r1-old"}},
		{notice.Filter{ReservationID: "r1", Status: notice.StatusDead}, []string{"r1-old"}},
		{notice.Filter{Status: notice.StatusPending}, []string{"r1-new", "r2"}},
		{notice.Filter{ReservationID: "nobody"}, []string{}},
	}
	for _, tt := range tests {
		got, err := s.List(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
			t.Errorf("List(%+v) (-want +got):\n%s", tt.f, diff)
		}
	}
}

func testVisits(t *testing.T, s Store) {
	ctx := context.Background()
	pos := func(n uint64) projections.Position { return projections.Position{Commit: n, Prepare: n} }
	visit := func(id string, slot time.Time, status string, p uint64) notice.Visit {
		return notice.Visit{ReservationID: id, Pet: "P" + id, To: "010-0000-0000", Locale: notice.Korean,
			Slot: slot, Status: status, BookedAt: t0.Add(-time.Hour), Position: pos(p)}
	}
	// Seoul's 1 December is 30 November 15:00 to 1 December 15:00 in UTC.
	from, to := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	for _, v := range []notice.Visit{
		visit("early", from, "booked", 1),
		visit("late", to.Add(-time.Minute), "booked", 2),
		visit("next-day", to, "booked", 3),
		visit("before", from.Add(-time.Minute), "booked", 4),
		visit("cancelled", from.Add(time.Hour), "booked", 5),
		visit("cancelled", from.Add(time.Hour), "cancelled", 6),
		visit("moved", from.Add(2*time.Hour), "booked", 9),
		visit("moved", to.Add(48*time.Hour), "booked", 8), // an older event, delivered late: ignored
	} {
		if err := s.PutVisit(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.BookedVisits(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []notice.Visit{
		visit("early", from, "booked", 1),
		visit("moved", from.Add(2*time.Hour), "booked", 9),
		visit("late", to.Add(-time.Minute), "booked", 2),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BookedVisits (-want +got):\n%s", diff)
	}
}

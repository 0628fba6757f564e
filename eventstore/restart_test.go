package eventstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// Everything a client can observe survives a restart on the same data:
// events, revisions, positions, metadata, deletes and tombstones.
func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	start := func() (*eventstore.Server, *esdb.Client) {
		srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv, esdbtest.Connect(t, srv.URL())
	}
	srv, c := start()
	kept := events(5, "A")
	if _, err := c.AppendToStream(ctx, "kept", esdb.AppendToStreamOptions{}, kept...); err != nil {
		t.Fatal(err)
	}
	var m esdb.StreamMetadata
	m.SetMaxCount(2)
	if _, err := c.SetStreamMetadata(ctx, "kept", esdb.AppendToStreamOptions{}, m); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppendToStream(ctx, "deleted", esdb.AppendToStreamOptions{}, events(2, "A")...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteStream(ctx, "deleted", esdb.DeleteStreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppendToStream(ctx, "gone", esdb.AppendToStreamOptions{}, events(1, "A")...); err != nil {
		t.Fatal(err)
	}
	last, err := c.TombstoneStream(ctx, "gone", esdb.TombstoneStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir}); err == nil {
		t.Fatal("a second server opened the directory of a running one")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	_, c = start()
	got, err := readAllOf(t, c, "kept", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Event.EventNumber != 3 {
		t.Fatalf("kept after restart: %d events, want revisions 3 and 4", len(got))
	}
	if _, err := readAllOf(t, c, "deleted", esdb.ReadStreamOptions{}, 10); code(err) != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("deleted after restart: %v", err)
	}
	if _, err := readAllOf(t, c, "gone", esdb.ReadStreamOptions{}, 10); code(err) != esdb.ErrorCodeStreamDeleted {
		t.Fatalf("tombstoned after restart: %v", err)
	}
	// the recent event IDs are reloaded, so a retry is still recognised
	r, err := c.AppendToStream(ctx, "kept", esdb.AppendToStreamOptions{}, kept...)
	if err != nil || r.NextExpectedVersion != 4 {
		t.Fatalf("retry after restart: %+v %v, want the original revision 4", r, err)
	}
	r, err = c.AppendToStream(ctx, "kept", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(4)}, events(1, "A")...)
	if err != nil {
		t.Fatal(err)
	}
	if r.NextExpectedVersion != 5 || r.CommitPosition != last.Position.Commit+1 {
		t.Fatalf("after restart: revision %d position %d, want 5 and %d", r.NextExpectedVersion, r.CommitPosition, last.Position.Commit+1)
	}
	r, err = c.AppendToStream(ctx, "deleted", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, events(1, "A")...)
	if err != nil || r.NextExpectedVersion != 2 {
		t.Fatalf("recreate after restart: %+v %v", r, err)
	}
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var clock atomicTime
	clock.set(now)
	srv, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: t.TempDir(), Now: clock.get})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := esdbtest.Connect(t, srv.URL())
	ctx := context.Background()
	if _, err := c.AppendToStream(ctx, "aging", esdb.AppendToStreamOptions{}, events(2, "Old")...); err != nil {
		t.Fatal(err)
	}
	clock.set(now.Add(2 * time.Hour))
	if _, err := c.AppendToStream(ctx, "aging", esdb.AppendToStreamOptions{}, events(1, "New")...); err != nil {
		t.Fatal(err)
	}
	var m esdb.StreamMetadata
	m.SetMaxAge(time.Hour)
	if _, err := c.SetStreamMetadata(ctx, "aging", esdb.AppendToStreamOptions{}, m); err != nil {
		t.Fatal(err)
	}
	got, err := readAllOf(t, c, "aging", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Event.EventType != "New" {
		t.Fatalf("maxAge 1h: got %d events", len(got))
	}
	if !got[0].Event.CreatedDate.Equal(now.Add(2 * time.Hour)) {
		t.Errorf("created %v, want the injected clock's %v", got[0].Event.CreatedDate, now.Add(2*time.Hour))
	}
}

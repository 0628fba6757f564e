package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/storetest"
)

func open(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) projections.Store { return open(t) })
}

func TestReopenKeepsDocumentsAndCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "read.db")
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cp := &projections.Checkpoint{Position: projections.Position{Commit: 9, Prepare: 9}, Events: 1}
	w := projections.Write{Coll: "c", Doc: projections.Doc{ID: "a", Position: cp.Position, Body: []byte(`{"x":1}`)}}
	if err := s.Commit(ctx, "ns", []projections.Write{w}, cp); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.Checkpoint(ctx, "ns")
	if err != nil || !ok || got.Position != cp.Position {
		t.Fatalf("checkpoint after reopen = %+v %v %v", got, ok, err)
	}
	d, ok, err := s.Get(ctx, "ns", "c", "a")
	if err != nil || !ok || string(d.Body) != `{"x":1}` {
		t.Fatalf("document after reopen = %+v %v %v", d, ok, err)
	}
}

func TestSecondOpenTimesOut(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "read.db")
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := bolt.Open(path, 50*time.Millisecond); err == nil {
		s2.Close()
		t.Fatal("a second Open of a held file succeeded")
	}
}

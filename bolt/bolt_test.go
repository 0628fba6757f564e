package bolt_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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

func TestCopiesLiveInTheirOwnFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "read.db")
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	w := projections.Write{Coll: "c", Doc: projections.Doc{ID: "a", Position: projections.Position{Commit: 1, Prepare: 1}, Body: []byte(`{}`)}}
	cp := &projections.Checkpoint{Position: w.Doc.Position}
	for _, ns := range []string{"lookup~1", "lookup~2", "notice"} {
		if err := s.Commit(ctx, ns, []projections.Write{w}, cp); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"read.lookup~1.db", "read.lookup~2.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("copy file %s: %v", f, err)
		}
	}
	if err := s.Drop(ctx, "lookup~1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "read.lookup~1.db")); !os.IsNotExist(err) {
		t.Errorf("dropped copy's file: %v, want it gone", err)
	}
	nss, _ := s.Namespaces(ctx)
	slices.Sort(nss)
	if !slices.Equal(nss, []string{"lookup~2", "notice"}) {
		t.Errorf("namespaces %v", nss)
	}

	// A bulk load finished with a sync survives a reopen; one cut short
	// (the process gone before the final sync) is discarded.
	if err := s.BulkLoad("lookup~2", true); err != nil {
		t.Fatal(err)
	}
	if err := s.BulkLoad("lookup~2", false); err != nil {
		t.Fatal(err)
	}
	if err := s.BulkLoad("lookup~3", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, "lookup~3", []projections.Write{w}, cp); err != nil {
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
	if _, ok, _ := s.Checkpoint(ctx, "lookup~2"); !ok {
		t.Error("a synced copy was lost")
	}
	if _, ok, _ := s.Checkpoint(ctx, "lookup~3"); ok {
		t.Error("an unfinished bulk load survived the reopen")
	}
	if _, ok, err := s.Get(ctx, "lookup~9", "c", "a"); ok || err != nil {
		t.Errorf("Get on a copy that never existed: %v %v", ok, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "read.lookup~9.db")); !os.IsNotExist(err) {
		t.Error("a read created a copy file")
	}
}

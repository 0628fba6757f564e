package bolt_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/storetest"
)

func TestLeaseContract(t *testing.T) {
	t.Parallel()
	storetest.RunLeases(t, func(t *testing.T, now func() time.Time) projections.LeaseStore {
		s, err := bolt.OpenWith(filepath.Join(t.TempDir(), "read.db"), bolt.Options{Timeout: time.Second, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestOpenReleasesLeases: only one process can have the file open, so the
// leases recorded in it when it is opened belong to processes that are
// gone; a restarted process takes them at once, with a greater token.
func TestOpenReleasesLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "read.db")
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Acquire(ctx, "lookup", "dead-process", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Acquire(ctx, "lookup", "restarted", time.Hour)
	if err != nil {
		t.Fatalf("Acquire after reopening: %v", err)
	}
	if l.Token <= old.Token {
		t.Errorf("token %d after reopening, want above %d", l.Token, old.Token)
	}
	if err := s.Release(ctx, old); !errors.Is(err, projections.ErrLeaseLost) {
		t.Errorf("Release of the dead process's lease = %v, want ErrLeaseLost", err)
	}
}

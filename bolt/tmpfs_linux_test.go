package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/projections"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory, unmounted
// when t ends; it skips t where mounting is not permitted (not root, or no
// CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v): the full-disk test needs root with CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFullDiskRecovers fills a real 8 MiB tmpfs under the read store
// until a commit fails, twice, freeing space in between, as an operator
// would: the failed commit leaves neither its documents nor its checkpoint,
// Healthy says the disk is full, one line is logged per outage (an error
// for the first, a warning for one that follows a recovery at once), and once
// space is free the same handle commits again without a re-open; at the
// end the file is consistent and holds exactly the committed batches.
func TestFullDiskRecovers(t *testing.T) {
	t.Parallel()
	root := mountTmpfs(t, 8<<20)
	ballast := filepath.Join(root, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	path := filepath.Join(root, "read.db")
	s, err := bolt.OpenWith(path, bolt.Options{Timeout: time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const ns = "fill" // a fixed namespace, in the main file
	body := []byte(`{"pad":"` + strings.Repeat("x", 32<<10) + `"}`)
	batch := 0
	commit := func() error {
		var ws []projections.Write
		for i := range 4 {
			id := fmt.Sprintf("doc-%d-%d", batch, i)
			ws = append(ws, projections.Write{Coll: "docs", Doc: projections.Doc{ID: id, Position: projections.Position{Commit: uint64(batch + 1)}, Body: body}})
		}
		cp := &projections.Checkpoint{Position: projections.Position{Commit: uint64(batch + 1)}, Events: uint64(batch + 1)}
		err := s.Commit(ctx, ns, ws, cp)
		if err == nil {
			batch++
		}
		return err
	}
	for outage := range 2 {
		var err error
		for range 10000 {
			if err = commit(); err != nil {
				break
			}
		}
		if !errors.Is(err, projections.ErrCannotWrite) || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("outage %d: commit error %v, want ErrCannotWrite saying the disk is full", outage, err)
		}
		if h := s.Healthy(); !errors.Is(h, projections.ErrCannotWrite) || !strings.Contains(h.Error(), "disk full") {
			t.Fatalf("outage %d: Healthy() = %v during the outage", outage, h)
		}
		for range 3 { // the store keeps refusing, and keeps one log line
			if err := commit(); !errors.Is(err, projections.ErrCannotWrite) {
				t.Fatalf("outage %d: commit on a full disk: %v", outage, err)
			}
		}
		cp, _, err := s.Checkpoint(ctx, ns)
		if err != nil || cp.Position.Commit != uint64(batch) {
			t.Fatalf("outage %d: checkpoint %v (%v), want the last committed batch %d", outage, cp.Position, err, batch)
		}
		if _, ok, _ := s.Get(ctx, ns, "docs", fmt.Sprintf("doc-%d-0", batch)); ok {
			t.Fatalf("outage %d: a document of the failed commit is readable", outage)
		}
		if n := strings.Count(logs.String(), "read store cannot write"); n != outage+1 {
			t.Fatalf("outage %d: %d lines, want one per outage:\n%s", outage, n, logs)
		}
		// The second outage comes right after the first ended: the same
		// incident, so a warning, and still one error line in all.
		if n := strings.Count(logs.String(), `level=ERROR msg="read store cannot write`); n != 1 {
			t.Fatalf("outage %d: %d error lines, want one for the incident:\n%s", outage, n, logs)
		}
		if outage == 1 && !strings.Contains(logs.String(), `level=WARN msg="read store cannot write again`) {
			t.Fatalf("an outage right after a recovery is not logged as the same incident:\n%s", logs)
		}
		// Free space: the ballast the first time, a spare file the second.
		if outage == 0 {
			if err := os.Remove(ballast); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Truncate(filepath.Join(root, "read.db~free"), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if outage == 1 {
			break
		}
		if err := commit(); err != nil {
			t.Fatalf("first commit after space was freed: %v", err)
		}
		if h := s.Healthy(); h != nil {
			t.Fatalf("Healthy() = %v after a commit succeeded", h)
		}
		if !strings.Contains(logs.String(), "read store writes again") {
			t.Fatalf("no recovery line:\n%s", logs)
		}
		// Leave room for the second outage to be freed: a spare file.
		if err := os.WriteFile(filepath.Join(root, "read.db~free"), make([]byte, 1<<20), 0o600); err != nil {
			t.Skipf("no room for the second outage's spare file: %v", err)
		}
	}
	if err := commit(); err != nil {
		t.Fatalf("commit after the second outage: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d batches committed around two disk-full outages", batch)
	checkFile(t, path, ns, batch)
}

// checkFile opens the read store's file with bbolt itself, runs its
// consistency check and counts the committed batches' documents in ns.
func checkFile(t *testing.T, path, ns string, batches int) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		n := 0
		if b := tx.Bucket([]byte("ns")).Bucket([]byte(ns)).Bucket([]byte("d:docs")); b != nil {
			n = b.Stats().KeyN
		}
		if n != 4*batches {
			return fmt.Errorf("%d documents, want %d (4 for each of %d committed batches)", n, 4*batches, batches)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

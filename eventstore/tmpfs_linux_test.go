package eventstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
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

// TestFullDiskRecovers fills a real 8 MiB tmpfs until the store cannot
// write, then frees space, as the disk-full run did: appends fail
// with Unavailable saying the disk is full, nothing unacknowledged is
// readable, and once space is free the store writes again by itself,
// without a restart, with every acknowledged event readable in order.
func TestFullDiskRecovers(t *testing.T) {
	t.Parallel()
	root := mountTmpfs(t, 8<<20)
	// Ballast to free later, as an operator would free space: one file for
	// each time the disk fills.
	const outages = 2
	var ballast []string
	for i := range outages {
		b := filepath.Join(root, "ballast"+strconv.Itoa(i))
		if err := os.WriteFile(b, make([]byte, 3<<19), 0o600); err != nil {
			t.Fatal(err)
		}
		ballast = append(ballast, b)
	}
	log := &errorLog{}
	srv, c := startOn(t, nil, filepath.Join(root, "events"), log)
	ctx := context.Background()
	s := streamName(t)
	big := func() []esdb.EventData {
		evs := events(8, "Fill")
		for i := range evs {
			evs[i].ContentType = esdb.ContentTypeBinary
			evs[i].Data = []byte(strings.Repeat(uuid.NewString(), 256)) // 9 KiB
		}
		return evs
	}
	var acked uint64 // events in the stream that were acknowledged or read back
	for round := range outages {
		var err error
		for range 10_000 {
			_, err = c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: revisionAfter(acked)}, big()...)
			if err != nil {
				break
			}
			acked += 8
		}
		if err == nil {
			t.Fatal("the tmpfs never filled")
		}
		checkCannotWrite(t, err, "disk full")
		t.Logf("outage %d: disk full with %d events in the stream", round+1, acked)
		if srv.Healthy() == nil {
			t.Error("healthy with a full disk")
		}
		if got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 1<<20); err != nil || uint64(len(got)) != acked {
			t.Fatalf("read with a full disk: %d events (%v), want the %d acknowledged", len(got), err, acked)
		}

		if err := os.Remove(ballast[round]); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		for {
			// The failed append may be in the re-opened log: read where
			// the stream stands, as a client does after an unknown outcome.
			got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 1<<20)
			if err == nil {
				if uint64(len(got)) < acked {
					t.Fatalf("%d events after the outage, want at least the %d acknowledged", len(got), acked)
				}
				acked = uint64(len(got))
				if _, err = c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: revisionAfter(acked)}, events(1, "After")...); err == nil {
					acked++
					break
				}
			}
			if time.Since(t0) > recoverWithin {
				t.Fatalf("appends still fail %v after space was freed: %v", recoverWithin, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("outage %d: writes again %v after space was freed", round+1, time.Since(t0).Round(time.Millisecond))
		if err := srv.Healthy(); err != nil {
			t.Errorf("Healthy after recovery: %v", err)
		}
	}
	got, err := readAllOf(t, c, s, esdb.ReadStreamOptions{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(got)) != acked {
		t.Fatalf("%d events at the end, want %d", len(got), acked)
	}
	for i, e := range got {
		if e.Event.EventNumber != uint64(i) {
			t.Fatalf("event %d has revision %d", i, e.Event.EventNumber)
		}
	}
	if n := log.count("cannot write"); n != outages {
		t.Errorf("%d error lines about the failures, want one per outage (%d)", n, outages)
	}
}

// revisionAfter is the expected revision of a stream holding n events.
func revisionAfter(n uint64) esdb.ExpectedRevision {
	if n == 0 {
		return esdb.NoStream{}
	}
	return esdb.Revision(n - 1)
}

package bolt

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/vetclinic/clinic/projections"
)

// A failed commit (a full disk, an I/O error: bbolt's write of the pages
// or the meta page, its fsync, or growing the file) leaves nothing
// committed: bbolt rolls the transaction back and reloads its free-page
// list from the file (tx.rollback in bbolt 1.4+), and readers go on with
// the last committed meta page. So the handle stays usable, and the next
// commit that the disk takes is a whole one: the store needs no re-open,
// it only has to say that it cannot write until a write works again
// (TestFullDiskRecovers shows both on a real full filesystem).

// outage is why and since when the store cannot write.
type outage struct {
	reason string
	err    error
	since  time.Time
}

// health tracks the store's writes: an outage begins at the first commit
// the storage refuses and ends at the next one it takes.
type health struct {
	log    *slog.Logger
	broken atomic.Pointer[outage]
	// recovered is when the last outage ended (unix ns): a disk that is
	// still nearly full takes one commit and refuses the next, and that is
	// the same incident to whoever is paged for it.
	recovered atomic.Int64
}

// flapWindow is how soon after a recovery a new outage counts as the same
// incident: logged as a warning, not a second error.
const flapWindow = time.Minute

// update runs fn in a write transaction of db, and records whether the
// storage took it. A storage failure comes back wrapping
// projections.ErrCannotWrite; fn's own errors come back as they are.
func (s *Store) update(db *bbolt.DB, fn func(tx *bbolt.Tx) error) error {
	err := db.Update(fn)
	reason, failed := storageReason(err)
	switch {
	case err == nil:
		if o := s.health.broken.Swap(nil); o != nil {
			s.health.recovered.Store(time.Now().UnixNano())
			s.health.log.Info("read store writes again", "file", s.path, "outage", time.Since(o.since).Round(time.Millisecond).String())
		}
	case failed:
		o := &outage{reason: reason, err: err, since: time.Now()}
		if s.health.broken.CompareAndSwap(nil, o) {
			if ago := o.since.Sub(time.Unix(0, s.health.recovered.Load())); ago < flapWindow {
				s.health.log.Warn("read store cannot write again: the storage took a commit and refused the next, so it is still short of space or failing",
					"file", s.path, "reason", reason, "since recovery", ago.Round(time.Millisecond).String(), "err", err)
			} else {
				s.health.log.Error("read store cannot write; the projections commit nothing (their checkpoints stay) and go on by themselves once the storage works again",
					"file", s.path, "reason", reason, "err", err)
			}
		}
		return fmt.Errorf("%w: %s: %w", projections.ErrCannotWrite, reason, err)
	}
	return err
}

// Healthy returns nil while the store can write. After a commit its
// storage refused, it returns an error wrapping projections.ErrCannotWrite
// that says why and since when, until a commit succeeds again (the
// projector retries on its own); a readiness check reports not ready
// meanwhile.
func (s *Store) Healthy() error {
	o := s.health.broken.Load()
	if o == nil {
		return nil
	}
	return fmt.Errorf("%w: %s (since %s): %w", projections.ErrCannotWrite, o.reason, o.since.UTC().Format(time.RFC3339), o.err)
}

// storageReason names a failure of the storage under a commit as an
// operator would, and reports whether err is one. bbolt reports a failed
// resize or sync of a growing file as text ("file resize error: ..."),
// without the errno.
func storageReason(err error) (string, bool) {
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG),
		strings.Contains(err.Error(), "no space left on device"):
		return "disk full", true
	case errors.Is(err, syscall.EIO), strings.Contains(err.Error(), "input/output error"):
		return "I/O error", true
	case errors.Is(err, syscall.EROFS), strings.Contains(err.Error(), "read-only file system"):
		return "read-only filesystem", true
	case strings.Contains(err.Error(), "file resize error"), strings.Contains(err.Error(), "file sync error"):
		return "storage failed", true
	}
	return "", false
}

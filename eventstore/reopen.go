package eventstore

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// When a commit or a sync fails (a full disk, an I/O error), Pebble cannot
// go on with that log: its log error is sticky, and a later commit on it
// panics. So the writer stops writing, answers every write with
// ErrCannotWrite (gRPC Unavailable), logs one error, and then re-probes
// the storage: once a small file in the directory can be written and
// synced, it re-opens Pebble, which replays the log as after a crash (a
// torn tail ends the replay), reloads the stream states, and proves the
// new log with a synced write. Only then does it take writes again. Nothing
// that was not synced was acknowledged. An append that failed may still be
// in the re-opened log, if its bytes reached the disk: its client saw an
// error, and a retry with the same event IDs is recognised as a repeat.

// ErrCannotWrite reports that the store's storage failed a write or a sync
// and the store refuses writes until it has re-opened the storage.
var ErrCannotWrite = errors.New("event store cannot write")

// failure is why and since when the store cannot write.
type failure struct {
	err   *writeError
	since time.Time
}

// writeError is the error of every write refused during a failure.
type writeError struct {
	reason string // "disk full"
	what   string // "writing the log failed"
	cause  error
}

func (e *writeError) Error() string {
	return fmt.Sprintf("%v: %s (%s): %v", ErrCannotWrite, e.reason, e.what, e.cause)
}

func (e *writeError) Unwrap() []error { return []error{ErrCannotWrite, e.cause} }

// public is the message clients get, without the storage's file names.
func (e *writeError) public() string {
	return fmt.Sprintf("%v: %s (%s); it takes writes again by itself once the storage works", ErrCannotWrite, e.reason, e.what)
}

// Re-probes of the storage back off from minRetry to maxRetry.
const (
	minRetry = 50 * time.Millisecond
	maxRetry = 2 * time.Second
)

// outage is the writer's state during a storage failure.
type outage struct {
	timer   *time.Timer
	backoff time.Duration
	warned  bool // a failed re-open was logged
}

// retry returns a channel that fires when the next re-probe is due, or nil
// while the store can write.
func (o *outage) retry(w *writer) <-chan time.Time {
	if w.broken.Load() == nil {
		return nil
	}
	if o.timer == nil {
		o.backoff = max(o.backoff, minRetry)
		o.timer = time.NewTimer(o.backoff)
	}
	return o.timer.C
}

// fail records the first failure and logs it; it returns the failure in
// force.
func (w *writer) fail(what string, err error) *failure {
	f := &failure{err: &writeError{reason: reason(err), what: what, cause: err}, since: w.now()}
	if w.broken.CompareAndSwap(nil, f) {
		w.s.log.Error("event store cannot write; it refuses writes and re-opens its storage once the storage works again",
			"reason", f.err.reason, "err", err)
		select {
		case w.wake <- struct{}{}: // the writer starts the re-probes even when idle
		default:
		}
		w.tellHealth(f.err)
		return f
	}
	return w.broken.Load()
}

// reason names the failure as an operator would.
func reason(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "disk full"
	case errors.Is(err, syscall.EIO):
		return "I/O error"
	case errors.Is(err, syscall.EROFS):
		return "read-only filesystem"
	}
	return "storage failed"
}

// health is Server.Healthy.
func (w *writer) health() error {
	f := w.broken.Load()
	if f == nil {
		return nil
	}
	return fmt.Errorf("%w (since %s)", f.err, f.since.UTC().Format(time.RFC3339))
}

// refuse answers o, and every op queued behind it, with the failure.
func (w *writer) refuse(o *op, f *failure) {
	for {
		o.err = f.err
		o.done <- struct{}{}
		select {
		case o = <-w.ops:
		default:
			return
		}
	}
}

// catchFatal, deferred, turns Pebble's panic on a log it can no longer
// write into *err; any other panic goes on.
func catchFatal(err *error) {
	if r := recover(); r != nil {
		pf, ok := r.(pebbleFatal)
		if !ok {
			panic(r)
		}
		*err = pf
	}
}

// commit applies the batch, turning Pebble's panic on a log it can no
// longer write into an error.
func (w *writer) commit() (err error) {
	defer catchFatal(&err)
	return w.s.db.ApplyNoSyncWait(w.batch, pebble.Sync)
}

// recover tries once to bring the storage back; on failure it schedules the
// next try.
func (w *writer) recover() {
	w.outage.timer = nil
	// The syncer answers what is in flight first; it fails it all.
	for w.published.Load() != w.seq {
		<-w.caughtUp
	}
	err := w.s.probe()
	if err == nil {
		err = w.s.reopen()
	}
	if err == nil {
		w.reset()
		err = w.prove()
	}
	if err != nil {
		if !w.outage.warned {
			w.s.log.Warn("event store storage still fails; trying again", "err", err)
			w.outage.warned = true
		}
		w.outage.backoff = min(2*w.outage.backoff, maxRetry)
		return
	}
	f := w.broken.Swap(nil)
	w.outage = outage{}
	w.tellHealth(nil)
	w.s.log.Info("event store writes again", "after", w.now().Sub(f.since).Round(time.Millisecond), "head", w.s.head.Load())
}

// prove writes a synced empty record to the re-opened log.
func (w *writer) prove() (err error) {
	defer catchFatal(&err)
	return w.s.db.LogData(nil, pebble.Sync)
}

// reset rebuilds the writer's state from the re-opened store.
func (w *writer) reset() {
	for len(w.batches) > 0 {
		<-w.batches // batches of the old database
	}
	w.batch = w.s.db.NewBatch()
	w.next = w.s.head.Load() + 1
	clear(w.overlay)
	clear(w.view)
	w.pending = w.pending[:0]
	w.recent = newRecentIDs(recentCap)
	if err := loadRecent(w.s, w.recent); err != nil {
		w.s.log.Warn("eventstore: recent event IDs not reloaded; retries of older appends will not be recognised", "err", err)
	}
}

// probeName is the file the store writes and syncs to see whether the
// storage works again.
const probeName = "PROBE"

// probe writes and syncs a small file in the directory, and removes it.
func (s *store) probe() error {
	name := s.fs.PathJoin(s.dir, probeName)
	f, err := s.fs.Create(name, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	_, err = f.Write(make([]byte, 64<<10))
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close(), s.fs.Remove(name))
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	return nil
}

// reopen closes Pebble and opens it again, as a restart would, and loads
// the stream states and the head. The log must still hold every
// acknowledged event (the published head and the mark); if not, it
// refuses, as Start does.
func (s *store) reopen() error {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if s.db != nil {
		if err := closeDB(s.db); err != nil {
			s.log.Debug("eventstore: close the failed storage", "err", err)
		}
		s.db = nil
	}
	db, err := s.openDB()
	if err != nil {
		return err
	}
	streams, head, err := load(db)
	if err == nil {
		err = checkMark(s.fs, s.dir, head)
	}
	if err == nil && head < s.head.Load() {
		err = fmt.Errorf("%w: the re-opened log ends at position %d but position %d was acknowledged", ErrLostEvents, head, s.head.Load())
	}
	if err != nil {
		closeDB(db)
		return err
	}
	s.db = db
	s.mu.Lock()
	s.streams = streams
	s.mu.Unlock()
	if head != s.head.Load() {
		// Writes that failed but reached the disk: now durable.
		s.head.Store(head)
		s.sig.fire()
	}
	return nil
}

// closeDB closes db, which may be a database whose log failed: Pebble may
// panic closing it.
func closeDB(db *pebble.DB) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pebble: close: %v", r)
		}
	}()
	return db.Close()
}

// tellHealth passes a change of health to whoever listens (the gRPC health
// service).
func (w *writer) tellHealth(err error) {
	if fn := w.onHealth.Load(); fn != nil {
		(*fn)(err)
	}
}

// brokenErr is the error writes get during a failure, or nil.
func (w *writer) brokenErr() error {
	if f := w.broken.Load(); f != nil {
		return f.err
	}
	return nil
}

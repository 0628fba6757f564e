package eventstore

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// expectKind is the expected-revision case of an append or delete.
type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectExists
	expectRevision
)

type expected struct {
	kind expectKind
	rev  uint64
}

type opKind uint8

const (
	opAppend opKind = iota
	opDelete
	opTombstone
)

// op is one write request handed to the writer.
type op struct {
	kind   opKind
	stream string
	expect expected
	events []event

	// results, valid once done has fired
	err      error
	wrong    bool  // wrong expected version
	current  int64 // current revision after the op (or at the conflict); -1: no stream
	position uint64
	done     chan struct{}
}

var (
	errStreamDeleted = errors.New("eventstore: stream deleted")
	errClosed        = errors.New("eventstore: closed")
)

var opPool = sync.Pool{New: func() any { return &op{done: make(chan struct{}, 1)} }}

func getOp() *op { return opPool.Get().(*op) }

func putOp(o *op) {
	for i := range o.events {
		o.events[i] = event{}
	}
	*o = op{done: o.done, events: o.events[:0]}
	opPool.Put(o)
}

// writer is the single goroutine that orders and validates every write. It
// takes all pending requests at once (group commit) into one Pebble batch,
// applies it, and hands it to the syncer, which waits for the one fsync
// that covers the batch, publishes the new state and acknowledges every
// request. The writer goes on building the next batch meanwhile, so the
// sync of one batch overlaps the validation of the next; Pebble's log is
// sequential, so a sync covers every batch before it too.
type writer struct {
	s        *store
	now      func() time.Time
	maxBatch int

	ops   chan *op
	quit  chan struct{}
	done  chan struct{}
	syncq chan *inflight

	// owned by the writer goroutine
	batch   *pebble.Batch
	overlay map[string]*streamState // states changed by the batch being built
	view    map[string]*streamState // states of batches not yet published
	pending []*op
	next    uint64 // next position to assign
	buf     []byte
	recent  *recentIDs
	seq     uint64 // batches handed to the syncer
	outage  outage // the writer's side of a storage failure (reopen.go)

	published atomic.Uint64               // batches the syncer finished
	caughtUp  chan struct{}               // signalled after each published batch
	broken    atomic.Pointer[failure]     // set while the storage cannot write
	wake      chan struct{}               // poked by the first failure
	onHealth  atomic.Pointer[func(error)] // told when the store stops or starts writing
	batches   chan *pebble.Batch          // reusable batches

	commits, committedOps, syncNanos atomic.Int64
}

// maxView bounds the writer's map of states not yet published.
const maxView = 4096

// inflight is a batch on its way to disk.
type inflight struct {
	seq     uint64
	batch   *pebble.Batch // nil when the batch had no writes
	ops     []*op
	head    uint64
	streams []string
	states  []*streamState
}

// writerStats counts commits for benchmarks and logs.
type writerStats struct{ commits, ops, syncNanos int64 }

func (w *writer) stats() writerStats {
	return writerStats{w.commits.Load(), w.committedOps.Load(), w.syncNanos.Load()}
}

func newWriter(s *store, now func() time.Time) *writer {
	w := &writer{
		s:        s,
		now:      now,
		maxBatch: 1024,
		ops:      make(chan *op, 1024),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		syncq:    make(chan *inflight, 4),
		overlay:  map[string]*streamState{},
		view:     map[string]*streamState{},
		next:     s.head.Load() + 1,
		batches:  make(chan *pebble.Batch, 8),
		caughtUp: make(chan struct{}, 1),
		wake:     make(chan struct{}, 1),
	}
	w.batch = s.db.NewBatch()
	w.recent = newRecentIDs(recentCap)
	if err := loadRecent(s, w.recent); err != nil {
		s.log.Warn("eventstore: recent event IDs not loaded; retries of older appends will not be recognised", "err", err)
	}
	syncDone := make(chan struct{})
	go w.syncer(syncDone)
	go func() {
		w.run()
		close(w.syncq)
		<-syncDone
		close(w.done)
	}()
	return w
}

// submit hands o to the writer and waits for its result.
func (w *writer) submit(o *op) {
	select {
	case w.ops <- o:
	case <-w.quit:
		o.err = errClosed
		return
	}
	select {
	case <-o.done:
	case <-w.done:
		// The writer is gone; it answered every op it took, so an empty
		// done means o was queued too late and never will be.
		select {
		case <-o.done:
		default:
			o.err = errClosed
		}
	}
}

// stop ends the writer after the requests already queued.
func (w *writer) stop() {
	close(w.quit)
	<-w.done
}

func (w *writer) run() {
	for {
		var o *op
		select {
		case o = <-w.ops:
		case <-w.outage.retry(w):
			w.recover()
			continue
		case <-w.wake:
			continue
		case <-w.quit:
			// fail whatever is still queued
			for {
				select {
				case o := <-w.ops:
					o.err = errClosed
					o.done <- struct{}{}
				default:
					return
				}
			}
		}
		if f := w.broken.Load(); f != nil {
			w.refuse(o, f)
			continue
		}
		if w.published.Load() == w.seq {
			// everything handed off is published: the store has it all
			clear(w.view)
		} else if len(w.view) > maxView {
			// Under sustained load the syncer is never idle; let it catch
			// up once so the view of unpublished states stays bounded.
			for w.published.Load() != w.seq {
				<-w.caughtUp
			}
			clear(w.view)
		}
		w.apply(o)
	drain:
		for len(w.pending) < w.maxBatch {
			select {
			case o := <-w.ops:
				w.apply(o)
			default:
				break drain
			}
		}
		w.dispatch()
	}
}

// dispatchKeep hands off the batch but keeps the last pending op (the
// caller is in the middle of it) for the next batch.
func (w *writer) dispatchKeep() {
	last := w.pending[len(w.pending)-1]
	w.pending = w.pending[:len(w.pending)-1]
	w.dispatch()
	w.pending = append(w.pending, last)
}

// dispatch applies the batch (visible to Pebble readers, which the store
// caps at the published head, but not yet durable) and queues it for the
// syncer. Every op goes through the syncer, even one that wrote nothing, so
// no answer overtakes the sync of the data it depends on.
func (w *writer) dispatch() {
	if len(w.pending) == 0 {
		return
	}
	inf := &inflight{ops: w.pending, head: w.next - 1}
	for k, v := range w.overlay {
		inf.streams = append(inf.streams, k)
		inf.states = append(inf.states, v)
	}
	if !w.batch.Empty() && w.broken.Load() == nil {
		if err := w.commit(); err != nil {
			w.fail("committing to the log failed", err)
		} else {
			inf.batch = w.batch
			select {
			case w.batch = <-w.batches:
			default:
				w.batch = w.s.db.NewBatch()
			}
		}
	}
	if f := w.broken.Load(); f != nil {
		// Nothing of this batch is acknowledged, not even a conflict or a
		// repeat: they were checked against states that may not survive.
		for _, o := range inf.ops {
			o.err, o.wrong = f.err, false
		}
		inf.batch = nil
		inf.streams, inf.states = nil, nil
		w.batch.Reset()
	}
	w.seq++
	inf.seq = w.seq
	w.syncq <- inf
	w.pending = make([]*op, 0, cap(w.pending))
	clear(w.overlay)
}

// syncer waits for each batch's fsync in order, then publishes its state,
// wakes subscribers and answers its ops.
func (w *writer) syncer(done chan struct{}) {
	defer close(done)
	for inf := range w.syncq {
		if inf.batch != nil {
			t0 := time.Now()
			err := inf.batch.SyncWait()
			w.syncNanos.Add(int64(time.Since(t0)))
			w.commits.Add(1)
			w.committedOps.Add(int64(len(inf.ops)))
			if err != nil {
				// Pebble's log error is sticky: every later sync on this
				// log fails too, so no batch after this one is acknowledged
				// until the storage is re-opened. A sync that succeeded is
				// durable, and so is everything before it.
				f := w.fail("writing the log failed", err)
				for _, o := range inf.ops {
					o.err, o.wrong = f.err, false
				}
				inf.streams = nil
			} else {
				w.publish(inf)
			}
			if inf.batch.Len() < 1<<20 && w.broken.Load() == nil {
				inf.batch.Reset()
				select {
				case w.batches <- inf.batch:
				default:
					inf.batch.Close()
				}
			}
		} else if f := w.broken.Load(); f != nil {
			for _, o := range inf.ops {
				o.err, o.wrong = f.err, false
			}
		}
		w.published.Store(inf.seq)
		select {
		case w.caughtUp <- struct{}{}:
		default:
		}
		for _, o := range inf.ops {
			o.done <- struct{}{}
		}
	}
}

func (w *writer) publish(inf *inflight) {
	if len(inf.streams) > 0 {
		w.s.mu.Lock()
		for i, k := range inf.streams {
			w.s.streams[k] = inf.states[i]
		}
		w.s.mu.Unlock()
	}
	if inf.head != w.s.head.Load() || len(inf.streams) > 0 {
		w.s.head.Store(inf.head)
		w.s.sig.fire()
	}
}

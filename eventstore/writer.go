package eventstore

import (
	"errors"
	"fmt"
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
	failed  error
	seq     uint64 // batches handed to the syncer

	published atomic.Uint64 // batches the syncer finished
	caughtUp  chan struct{} // signalled after each published batch
	fatal     atomic.Pointer[error]
	batches   chan *pebble.Batch // reusable batches

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
	}
	w.batch = s.db.NewBatch()
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

// apply validates o against the committed state plus this batch and adds
// its writes to the batch.
func (w *writer) apply(o *op) {
	if w.failed != nil {
		o.err = w.failed
		o.done <- struct{}{}
		return
	}
	w.pending = append(w.pending, o)
	st := w.stateOf(o.stream)
	if st != nil && st.tombstoned {
		o.err = errStreamDeleted
		return
	}
	if !w.check(o, st) {
		return
	}
	switch o.kind {
	case opAppend:
		w.appendEvents(o, st)
	case opDelete:
		w.softDelete(o, st)
	case opTombstone:
		w.tombstone(o, st)
	}
}

func (w *writer) stateOf(stream string) *streamState {
	if st, ok := w.overlay[stream]; ok {
		return st
	}
	if st, ok := w.view[stream]; ok {
		return st
	}
	return w.s.state(stream)
}

// check applies the expected revision. It returns false when o is already
// answered (a conflict, or an idempotent repeat of earlier events).
func (w *writer) check(o *op, st *streamState) bool {
	last := int64(-1)
	if st != nil {
		last = st.last
	}
	exists := st.exists()
	ok := false
	switch o.expect.kind {
	case expectAny:
		ok = true
	case expectNoStream:
		ok = !exists
	case expectExists:
		// a stream that has only metadata exists too, as in EventStoreDB
		ok = exists || (st != nil && !st.deleted && w.stateOf("$$"+o.stream).exists())
	case expectRevision:
		ok = int64(o.expect.rev) == last && last >= 0
	}
	if o.kind == opAppend && len(o.events) > 0 {
		if dup, done := w.idempotent(o, st, ok); done {
			return dup
		}
	}
	if ok {
		return true
	}
	o.wrong = true
	o.current = -1
	if exists {
		o.current = last
	}
	return false
}

// idempotent recognises a repeat of an append that is already stored (same
// event IDs at the same revisions), as EventStoreDB does, and answers it with
// the original result. It returns done=true when o is answered (or flushed
// and re-checked); proceed reports whether o must still be written.
func (w *writer) idempotent(o *op, st *streamState, ok bool) (proceed, done bool) {
	if st == nil || st.last < 0 {
		return false, false
	}
	k := int64(len(o.events))
	var from int64 // first revision the repeat would occupy
	switch {
	case o.expect.kind == expectRevision && !ok && int64(o.expect.rev) < st.last:
		from = int64(o.expect.rev) + 1
	case o.expect.kind == expectNoStream && !ok:
		from = 0
	case (o.expect.kind == expectAny || o.expect.kind == expectExists) && st.lastID == o.events[k-1].id:
		from = st.last - k + 1
	default:
		return false, false
	}
	if from < 0 || from+k-1 > st.last {
		return false, false
	}
	if _, inBatch := w.overlay[o.stream]; inBatch {
		// The events to compare may be in this uncommitted batch: commit it
		// first, then compare against storage.
		w.dispatchKeep()
		if w.failed != nil {
			o.err = w.failed
			return false, true
		}
	}
	var pos uint64
	for i := int64(0); i < k; i++ {
		p, found, err := w.s.positionOf(o.stream, uint64(from+i))
		if err != nil || !found {
			return false, false
		}
		rec, err := w.s.get(p)
		if err != nil {
			return false, false
		}
		v, err := parseRecord(rec)
		if err != nil || v.eventID() != o.events[i].id {
			return false, false
		}
		pos = p
	}
	o.current = from + k - 1
	o.position = pos
	return false, true
}

// put records a new state for stream in this batch.
func (w *writer) put(stream string, st *streamState) {
	w.overlay[stream] = st
	w.view[stream] = st
	w.buf = append(w.buf[:0], kindStream)
	w.buf = append(w.buf, stream...)
	w.batch.Set(w.buf, st.encode(), nil)
}

func (w *writer) writeEvent(stream string, rev uint64, e *event, created int64) uint64 {
	pos := w.next
	w.next++
	w.buf = appendRecord(w.buf[:0], stream, rev, pos, created, e)
	var k [9]byte
	w.batch.Set(appendAllKey(k[:0], pos), w.buf, nil)
	w.buf = appendIndexKey(w.buf[:0], stream, rev)
	var v [8]byte
	putUint64(v[:], pos)
	w.batch.Set(w.buf, v[:], nil)
	return pos
}

func putUint64(b []byte, x uint64) {
	_ = b[7]
	for i := 7; i >= 0; i-- {
		b[i] = byte(x)
		x >>= 8
	}
}

func (w *writer) appendEvents(o *op, st *streamState) {
	next := &streamState{last: -1}
	if st != nil {
		*next = *st
	}
	if len(o.events) == 0 {
		o.current = -1
		if st.exists() {
			o.current = st.last
		}
		return
	}
	created := ticks(w.now())
	for i := range o.events {
		next.last++
		next.lastPos = w.writeEvent(o.stream, uint64(next.last), &o.events[i], created)
	}
	next.lastID = o.events[len(o.events)-1].id
	next.deleted = false
	o.current = next.last
	o.position = next.lastPos
	w.put(o.stream, next)
	if target, ok := metaTarget(o.stream); ok {
		w.applyMetadata(target, o.events[len(o.events)-1].data)
	}
}

// applyMetadata caches the metadata that reads honour in the state of
// target, the stream a $$ stream describes.
func (w *writer) applyMetadata(target string, data []byte) {
	m := parseMeta(data)
	next := &streamState{last: -1}
	if st := w.stateOf(target); st != nil {
		*next = *st
	}
	next.meta = m
	w.put(target, next)
}

// softDelete marks the stream deleted and records the truncation in its
// metadata stream, as EventStoreDB does: reads find no stream, and a later
// append continues the revisions.
func (w *writer) softDelete(o *op, st *streamState) {
	if st != nil && st.deleted {
		// Deleting again changes nothing; answer with the first delete.
		o.current = -1
		if mst := w.stateOf("$$" + o.stream); mst != nil {
			o.position = mst.lastPos
		}
		return
	}
	if !st.exists() {
		// EventStoreDB refuses to delete a stream that never existed with
		// a wrong expected version, whatever was expected.
		o.wrong, o.current = true, -1
		return
	}
	metaStream := "$$" + o.stream
	mst := w.stateOf(metaStream)
	meta := st.meta
	meta.tb = st.last + 1
	data := encodeMeta(w.currentMetaJSON(metaStream, mst), meta.tb)
	me := event{id: newUUID(), eventType: "$metadata", contentType: "application/json", data: data}
	mnext := &streamState{last: -1}
	if mst != nil {
		*mnext = *mst
	}
	mnext.last++
	mnext.lastPos = w.writeEvent(metaStream, uint64(mnext.last), &me, ticks(w.now()))
	mnext.lastID = me.id
	w.put(metaStream, mnext)

	next := *st
	next.deleted = true
	next.meta = meta
	w.put(o.stream, &next)
	o.position = mnext.lastPos
	o.current = st.last
}

// currentMetaJSON returns the newest metadata document of metaStream, so a
// delete keeps the other metadata properties.
func (w *writer) currentMetaJSON(metaStream string, mst *streamState) []byte {
	if mst == nil || mst.last < 0 {
		return nil
	}
	if _, inBatch := w.overlay[metaStream]; inBatch {
		w.dispatchKeep()
		if w.failed != nil {
			return nil
		}
	}
	p, ok, err := w.s.positionOf(metaStream, uint64(mst.last))
	if err != nil || !ok {
		return nil
	}
	rec, err := w.s.get(p)
	if err != nil {
		return nil
	}
	v, err := parseRecord(rec)
	if err != nil {
		return nil
	}
	return v.data
}

func (w *writer) tombstone(o *op, st *streamState) {
	next := &streamState{last: -1}
	if st != nil {
		*next = *st
	}
	e := event{id: newUUID(), eventType: "$streamDeleted", contentType: "application/octet-stream"}
	next.lastPos = w.writeEvent(o.stream, tombstoneRevision, &e, ticks(w.now()))
	next.tombstoned = true
	w.put(o.stream, next)
	o.position = next.lastPos
	o.current = next.last
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
	if p := w.fatal.Load(); p != nil && w.failed == nil {
		w.failed = *p
	}
	inf := &inflight{ops: w.pending, head: w.next - 1}
	for k, v := range w.overlay {
		inf.streams = append(inf.streams, k)
		inf.states = append(inf.states, v)
	}
	if !w.batch.Empty() && w.failed == nil {
		if err := w.s.db.ApplyNoSyncWait(w.batch, pebble.Sync); err != nil {
			w.failed = fmt.Errorf("eventstore: commit: %w", err)
			w.s.log.Error("commit failed; the store refuses further writes", "err", err)
		} else {
			inf.batch = w.batch
			select {
			case w.batch = <-w.batches:
			default:
				w.batch = w.s.db.NewBatch()
			}
		}
	}
	if w.failed != nil {
		for _, o := range inf.ops {
			if o.err == nil && !o.wrong {
				o.err = w.failed
			}
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
				err = fmt.Errorf("eventstore: sync: %w", err)
				w.fatal.CompareAndSwap(nil, &err)
				w.s.log.Error("sync failed; the store refuses further writes", "err", err)
				for _, o := range inf.ops {
					if o.err == nil && !o.wrong {
						o.err = err
					}
				}
				inf.streams = nil
			} else {
				w.publish(inf)
			}
			if inf.batch.Len() < 1<<20 {
				inf.batch.Reset()
				select {
				case w.batches <- inf.batch:
				default:
					inf.batch.Close()
				}
			}
		} else if p := w.fatal.Load(); p != nil {
			for _, o := range inf.ops {
				if o.err == nil && !o.wrong {
					o.err = *p
				}
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

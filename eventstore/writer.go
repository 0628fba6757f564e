package eventstore

import (
	"errors"
	"fmt"
	"sync"
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

// writer is the single goroutine that orders, validates and durably commits
// every write. It takes all pending requests at once (group commit): one
// Pebble batch, one fsync, then every request in it is acknowledged.
type writer struct {
	s        *store
	now      func() time.Time
	maxBatch int

	ops  chan *op
	quit chan struct{}
	done chan struct{}

	// per-batch scratch, owned by the writer goroutine
	batch   *pebble.Batch
	overlay map[string]*streamState
	pending []*op
	next    uint64 // next position to assign
	buf     []byte
	failed  error
}

func newWriter(s *store, now func() time.Time) *writer {
	w := &writer{
		s:        s,
		now:      now,
		maxBatch: 512,
		ops:      make(chan *op, 1024),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		overlay:  map[string]*streamState{},
		next:     s.head.Load() + 1,
	}
	w.batch = s.db.NewBatch()
	go w.run()
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
	<-o.done
}

// stop ends the writer after the requests already queued.
func (w *writer) stop() {
	close(w.quit)
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	defer w.batch.Close()
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
		w.flush()
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
		ok = exists
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
		w.flushKeep()
		if w.failed != nil {
			o.err = w.failed
			return false, true
		}
		st = w.s.state(o.stream)
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
	if !st.exists() {
		o.current = -1
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
		w.flushKeep()
		if w.failed != nil {
			return nil
		}
		mst = w.s.state(metaStream)
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

// flushKeep commits the batch but keeps the last pending op (the caller is
// in the middle of it) unanswered.
func (w *writer) flushKeep() {
	last := w.pending[len(w.pending)-1]
	w.pending = w.pending[:len(w.pending)-1]
	w.flush()
	w.pending = append(w.pending, last)
}

// flush commits the batch with one fsync, publishes the new state, wakes
// subscribers and answers every pending op.
func (w *writer) flush() {
	if !w.batch.Empty() && w.failed == nil {
		if err := w.batch.Commit(pebble.Sync); err != nil {
			w.failed = fmt.Errorf("eventstore: commit: %w", err)
			w.s.log.Error("commit failed; the store refuses further writes", "err", err)
		}
	}
	if w.failed != nil {
		for _, o := range w.pending {
			if o.err == nil && !o.wrong {
				o.err = w.failed
			}
		}
		w.next = w.s.head.Load() + 1
	} else if len(w.overlay) > 0 || w.next-1 != w.s.head.Load() {
		w.s.mu.Lock()
		for k, v := range w.overlay {
			w.s.streams[k] = v
		}
		w.s.mu.Unlock()
		w.s.head.Store(w.next - 1)
		w.s.sig.fire()
	}
	clear(w.overlay)
	w.batch.Reset()
	for _, o := range w.pending {
		o.done <- struct{}{}
	}
	clear(w.pending)
	w.pending = w.pending[:0]
}

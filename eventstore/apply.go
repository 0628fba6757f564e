package eventstore

import "math"

// The writer's validation of one op against the stream states, and the
// writes it adds to the batch being built.

// apply validates o against the committed state plus this batch and adds
// its writes to the batch.
func (w *writer) apply(o *op) {
	if w.brokenErr() != nil {
		o.err = w.brokenErr()
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
		if o.kind == opAppend && st != nil && st.deleted {
			o.err = errStreamDeleted // as EventStoreDB answers
			return false
		}
		// a stream that has only metadata exists too, as in EventStoreDB
		ok = exists || (st != nil && !st.deleted && w.stateOf("$$"+o.stream).exists())
	case expectRevision:
		ok = int64(o.expect.rev) == last && last >= 0
	}
	if o.kind == opAppend && len(o.events) > 0 {
		if w.idempotent(o, st, ok) {
			return false
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
// the original result. It reports whether o is answered (a repeat, a
// conflict or a failure); false means o is new and the expected revision
// decides.
func (w *writer) idempotent(o *op, st *streamState, ok bool) bool {
	if st == nil || st.last < 0 {
		return false
	}
	if o.expect.kind == expectAny || o.expect.kind == expectExists {
		first, known := w.recent.m[o.events[0].id]
		if !known || first.stream != o.stream {
			return false // new events
		}
		pos, repeat := first.pos, true
		if len(o.events) > 1 {
			pos, repeat = w.storedRun(o, first.rev, 1)
		}
		if repeat {
			o.current, o.position = first.rev+int64(len(o.events))-1, pos
			return true
		}
		if w.brokenErr() != nil {
			o.err = w.brokenErr()
			return true
		}
		// The first event is stored but a later one is not: EventStoreDB
		// calls this corrupted idempotency and answers wrong version.
		o.wrong, o.current = true, -1
		if st.exists() {
			o.current = st.last
		}
		return true
	}
	k := int64(len(o.events))
	var from int64 // first revision the repeat would occupy
	switch {
	case o.expect.kind == expectRevision && !ok && o.expect.rev < uint64(st.last):
		from = int64(o.expect.rev) + 1
	case o.expect.kind == expectNoStream && !ok:
		from = 0
	default:
		return false
	}
	if from < 0 || from+k-1 > st.last {
		return false
	}
	pos, repeat := w.storedRun(o, from, 0)
	if w.brokenErr() != nil {
		o.err = w.brokenErr()
		return true
	}
	if !repeat {
		return false
	}
	o.current = from + k - 1
	o.position = pos
	return true
}

// storedRun reports whether o.events[skip:] are stored in o.stream at
// revisions from+skip on, and the position of the last of them. The events
// to compare may be in the batch being built: it is handed off first.
func (w *writer) storedRun(o *op, from int64, skip int) (pos uint64, ok bool) {
	if _, inBatch := w.overlay[o.stream]; inBatch {
		w.dispatchKeep()
		if w.brokenErr() != nil {
			return 0, false
		}
	}
	for i := skip; i < len(o.events); i++ {
		p, found, err := w.s.positionOf(o.stream, uint64(from+int64(i)))
		if err != nil || !found {
			return 0, false
		}
		rec, err := w.s.get(p)
		if err != nil {
			return 0, false
		}
		v, err := parseRecord(rec)
		if err != nil || v.eventID() != o.events[i].id {
			return 0, false
		}
		pos = p
	}
	return pos, true
}

// put records a new state for stream in this batch.
func (w *writer) put(stream string, st *streamState) {
	w.overlay[stream] = st
	w.view[stream] = st
	w.buf = append(w.buf[:0], kindStream)
	w.buf = append(w.buf, stream...)
	var v [stateLen]byte
	w.batch.Set(w.buf, st.appendEncoded(v[:0]), nil) // Set copies key and value
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
	var undelete []byte // metadata document to restore, for a soft-deleted stream
	if st != nil && st.deleted {
		undelete = w.currentMetaJSON(o.stream)
		if w.brokenErr() != nil {
			o.err = w.brokenErr()
			return
		}
	}
	created := ticks(w.now())
	for i := range o.events {
		next.last++
		next.lastPos = w.writeEvent(o.stream, uint64(next.last), &o.events[i], created)
		if i == 0 {
			w.recent.add(o.events[0].id, idEntry{stream: o.stream, rev: next.last, pos: next.lastPos})
		}
	}
	if st != nil && st.deleted {
		// Writing to a soft-deleted stream undeletes it: the metadata keeps
		// everything but $tb, which now hides only the events of before.
		tb := st.last + 1
		w.writeMeta(o.stream, encodeMeta(undelete, tb))
		next.deleted = false
		next.meta = parseMeta(encodeMeta(undelete, tb))
	}
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
	next.deleted = m.tb == deletedTB
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
	doc := w.currentMetaJSON(o.stream)
	next := *st
	next.deleted = true
	next.meta.tb = deletedTB
	o.position = w.writeMeta(o.stream, encodeMeta(doc, deletedTB))
	w.put(o.stream, &next)
	o.current = st.last
}

// deletedTB is the truncate-before of a soft-deleted stream, as in
// EventStoreDB, where a stream is soft-deleted exactly when its $tb is this.
const deletedTB = math.MaxInt64

// writeMeta appends a $metadata event with doc to stream's metadata stream
// and returns its position.
func (w *writer) writeMeta(stream string, doc []byte) uint64 {
	metaStream := "$$" + stream
	me := event{id: newUUID(), eventType: []byte("$metadata"), contentType: []byte("application/json"), data: doc}
	mnext := &streamState{last: -1}
	if mst := w.stateOf(metaStream); mst != nil {
		*mnext = *mst
	}
	mnext.last++
	mnext.lastPos = w.writeEvent(metaStream, uint64(mnext.last), &me, ticks(w.now()))
	w.put(metaStream, mnext)
	return mnext.lastPos
}

// currentMetaJSON returns the newest metadata document of stream, so a
// delete or undelete keeps the other metadata properties. It may hand off
// the batch being built, so call it before writing anything for the op.
func (w *writer) currentMetaJSON(stream string) []byte {
	metaStream := "$$" + stream
	mst := w.stateOf(metaStream)
	if mst == nil || mst.last < 0 {
		return nil
	}
	if _, inBatch := w.overlay[metaStream]; inBatch {
		w.dispatchKeep()
		if w.brokenErr() != nil {
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
	e := event{id: newUUID(), eventType: []byte("$streamDeleted"), contentType: octetStream}
	next.lastPos = w.writeEvent(o.stream, tombstoneRevision, &e, ticks(w.now()))
	next.tombstoned = true
	w.put(o.stream, next)
	o.position = next.lastPos
	o.current = next.last
}

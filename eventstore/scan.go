package eventstore

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/grpc"
)

// A read step holds at most this much before it sends: the Pebble
// iterator is closed before the first Send, so a client that stops reading
// pins no memtables, and memory per reader stays bounded.
const (
	stepEvents = 256
	stepBytes  = 1 << 20
)

// batchOut collects the messages of one read step.
type batchOut struct {
	msgs  []any
	size  int
	limit int // events still wanted
	n     int // events collected
}

func (b *batchOut) reset(limit uint64) {
	clear(b.msgs)
	b.msgs, b.size, b.n = b.msgs[:0], 0, 0
	b.limit = int(min(limit, stepEvents))
}

// full reports whether the step holds enough. It counts messages too: a
// filtered catch-up that skips a long run of events collects a checkpoint
// every interval and no event, and must still send in bounded steps.
func (b *batchOut) full() bool {
	return b.n >= b.limit || b.size >= stepBytes || len(b.msgs) >= stepEvents
}

func (b *batchOut) addEvent(rec []byte, pos uint64, stringIDs bool) {
	if stringIDs {
		rec = withStringID(rec)
	}
	f := eventFrame(rec, pos)
	b.msgs = append(b.msgs, f)
	b.size += len(f.b)
	b.n++
}

func (b *batchOut) addCheckpoint(pos uint64) {
	b.msgs = append(b.msgs, checkpointFrame(pos))
}

func (b *batchOut) send(srv grpc.ServerStream) error {
	for _, m := range b.msgs {
		if err := srv.SendMsg(m); err != nil {
			return err
		}
	}
	return nil
}

// sendSteps sends up to count events a step at a time, so no Pebble
// iterator is open during a Send: fill adds the events from from on to out
// (through the scan it runs) and says where the next step resumes.
func sendSteps[P int64 | uint64](srv grpc.ServerStream, out *batchOut, count uint64, from P,
	fill func(from P) (next P, more bool, err error)) error {
	for count > 0 {
		out.reset(count)
		next, more, err := fill(from)
		if err != nil {
			return err
		}
		if err := out.send(srv); err != nil {
			return err
		}
		count -= uint64(out.n)
		if !more {
			return nil
		}
		from = next
	}
	return nil
}

// scanStream calls fn for the records of stream from revision from, within
// [lo, hi], in the given direction, until fn declines one. It then returns
// that record's revision and more=true.
func (s *store) scanStream(ctx interface{ Err() error }, stream string, from, lo, hi int64, back bool,
	fn func(rec []byte, pos uint64) (bool, error)) (next int64, more bool, err error) {
	if back {
		from = min(from, hi)
		if from < lo {
			return 0, false, nil
		}
	} else {
		from = max(from, lo)
		if from > hi {
			return 0, false, nil
		}
	}
	prefix := appendIndexPrefix(nil, stream)
	lower := binary.BigEndian.AppendUint64(prefix, uint64(lo))
	upper := appendIndexKey(nil, stream, uint64(hi)+1)
	db, done, err := s.reader()
	if err != nil {
		return 0, false, err
	}
	defer done()
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	var ok bool
	if back {
		ok = it.SeekLT(appendIndexKey(nil, stream, uint64(from)+1))
	} else {
		ok = it.SeekGE(appendIndexKey(nil, stream, uint64(from)))
	}
	var k [9]byte
	for ; ok; ok = stepIter(it, back) {
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		v := it.Value()
		key := it.Key()
		if len(v) != 8 || len(key) < 8 {
			return 0, false, errBadRecord
		}
		rev := int64(binary.BigEndian.Uint64(key[len(key)-8:]))
		pos := binary.BigEndian.Uint64(v)
		rec, c, err := db.Get(appendAllKey(k[:0], pos))
		if err != nil {
			return 0, false, fmt.Errorf("eventstore: index points at missing position %d: %w", pos, err)
		}
		took, err := fn(rec, pos)
		c.Close()
		if err != nil {
			return 0, false, err
		}
		if !took {
			return rev, true, nil
		}
	}
	return 0, false, it.Error()
}

func stepIter(it *pebble.Iterator, back bool) bool {
	if back {
		return it.Prev()
	}
	return it.Next()
}

// scanAll calls fn for the records of $all from position from (inclusive)
// towards head (forwards) or 1 (backwards) until fn declines one. It then
// returns that record's position and more=true.
func (s *store) scanAll(ctx interface{ Err() error }, from, head uint64, back bool,
	fn func(rec []byte, pos uint64) (bool, error)) (next uint64, more bool, err error) {
	if from == 0 || from > head {
		return 0, false, nil
	}
	db, done, err := s.reader()
	if err != nil {
		return 0, false, err
	}
	defer done()
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: allKey(1), UpperBound: allKey(head + 1)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	var ok bool
	if back {
		ok = it.SeekLT(allKey(from + 1))
	} else {
		ok = it.SeekGE(allKey(from))
	}
	for ; ok; ok = stepIter(it, back) {
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		pos := binary.BigEndian.Uint64(it.Key()[1:])
		took, err := fn(it.Value(), pos)
		if err != nil {
			return 0, false, err
		}
		if !took {
			return pos, true, nil
		}
	}
	return 0, false, it.Error()
}

package eventstore

import (
	"github.com/google/uuid"
)

// recentCap is how many recent appends the writer remembers by the ID of
// their first event, like EventStoreDB's committed-events cache: a retry
// with expected revision any or stream_exists is recognised while the
// original is among the newest recentCap appends. Keying appends rather
// than events keeps the map small and one update per append; the rest of a
// retry is compared with the stored events.
const recentCap = 1 << 16

// idEntry is where an event went.
type idEntry struct {
	stream string
	rev    int64
	pos    uint64
}

// recentIDs maps the IDs of the newest events to where they went; it is
// owned by the writer goroutine.
type recentIDs struct {
	m    map[uuid.UUID]idEntry
	ring []ringSlot // insertion order, for eviction
	next int
}

type ringSlot struct {
	id  uuid.UUID
	pos uint64
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{m: make(map[uuid.UUID]idEntry, n), ring: make([]ringSlot, 0, n)}
}

func (r *recentIDs) add(id uuid.UUID, e idEntry) {
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, ringSlot{id, e.pos})
	} else {
		old := r.ring[r.next]
		if cur, ok := r.m[old.id]; ok && cur.pos == old.pos {
			delete(r.m, old.id)
		}
		r.ring[r.next] = ringSlot{id, e.pos}
		r.next = (r.next + 1) % len(r.ring)
	}
	r.m[id] = e
}

// noCtx is the context of reads the store makes for itself.
type noCtx struct{}

func (noCtx) Err() error { return nil }

// loadRecent fills r with the newest events of the store, oldest first.
// The log does not record where appends began, so every event is keyed.
func loadRecent(s *store, r *recentIDs) error {
	head := s.head.Load()
	var found []idEntry
	var ids []uuid.UUID
	_, _, err := s.scanAll(noCtx{}, head, head, true, func(rec []byte, pos uint64) (bool, error) {
		if len(found) >= cap(r.ring) {
			return false, nil
		}
		v, err := parseRecord(rec)
		if err != nil {
			return false, err
		}
		found = append(found, idEntry{stream: string(v.stream), rev: int64(v.revision), pos: pos})
		ids = append(ids, v.eventID())
		return true, nil
	})
	for i := len(found) - 1; i >= 0; i-- {
		r.add(ids[i], found[i])
	}
	return err
}

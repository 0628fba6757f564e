package commands

import (
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
)

// DefaultCacheSize is how many streams' histories a Handler keeps.
const DefaultCacheSize = 20_000

// history is a stream's events as this process last saw them: read from
// the store or appended by it. Histories are immutable once cached; a
// longer one replaces a shorter one (the slices may share backing arrays,
// but nobody reads past their own length).
type history struct {
	events    []domain.Event
	ids       []uuid.UUID
	revisions []uint64
	positions []uint64
	requests  []string // the fingerprint of the keyed request that appended each event ("" for none)
	revision  int64    // the last revision, NoStream when empty
	position  uint64
}

func (h *history) extendRecorded(events []domain.Event, recs []Recorded) *history {
	n := *h
	n.events = append(n.events, events...)
	for _, r := range recs {
		n.ids = append(n.ids, r.ID)
		n.revisions = append(n.revisions, r.Revision)
		n.positions = append(n.positions, r.Position)
		n.requests = append(n.requests, requestOf(r.Metadata))
	}
	last := recs[len(recs)-1]
	n.revision, n.position = int64(last.Revision), last.Position
	return &n
}

// extend returns h with events appended as proposed, landing at w.
func (h *history) extend(events []domain.Event, proposed []Proposed, w Written) *history {
	n := *h
	n.events = append(n.events, events...)
	first := w.Revision + 1 - uint64(len(proposed))
	for i, p := range proposed {
		n.ids = append(n.ids, p.ID)
		n.revisions = append(n.revisions, first+uint64(i))
		n.positions = append(n.positions, w.Position)
		n.requests = append(n.requests, requestOf(p.Metadata))
	}
	n.revision, n.position = int64(w.Revision), w.Position
	return &n
}

// findDone returns the events that c appended in step before, found by
// their deterministic IDs, with the revision and position of the last of
// them. Only keyed commands can find any: others have fresh IDs. Events a
// request other than c's appended under the same key (another body on the
// same route, by the same caller) are ErrIdempotencyKeyReused; events
// written before requests were fingerprinted match any request.
func (h *history) findDone(c *command, step, stream string) ([]domain.Event, int64, uint64, error) {
	if !c.keyed {
		return nil, 0, 0, nil
	}
	first := c.eventID(step, stream, 0)
	for i, id := range h.ids {
		if id != first {
			continue
		}
		n := 1
		for i+n < len(h.ids) && h.ids[i+n] == c.eventID(step, stream, n) {
			n++
		}
		if got := h.requests[i]; got != "" && got != c.request {
			return nil, 0, 0, fmt.Errorf("%s: %w", stream, ErrIdempotencyKeyReused)
		}
		last := i + n - 1
		return h.events[i : i+n : i+n], int64(h.revisions[last]), h.positions[last], nil
	}
	return nil, 0, 0, nil
}

// cache keeps the histories of recently used streams, evicting the oldest
// entries first. Entries of one stream are only read and replaced by
// that stream's group leader (group.go), one at a time.
type cache struct {
	mu    sync.Mutex
	size  int
	m     map[string]*history
	order []string // insertion order, a ring of size entries
	next  int
}

func newCache(size int) *cache {
	if size <= 0 {
		return &cache{}
	}
	return &cache{size: size, m: make(map[string]*history, size), order: make([]string, size)}
}

func (c *cache) get(stream string) *history {
	if c.size == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[stream]
}

func (c *cache) put(stream string, h *history) {
	if c.size == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[stream]; !ok {
		if old := c.order[c.next]; old != "" {
			delete(c.m, old)
		}
		c.order[c.next] = stream
		c.next = (c.next + 1) % c.size
	}
	c.m[stream] = h
}

func (c *cache) drop(stream string) {
	if c.size == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, stream) // its slot in order is reused when it comes round
}

// advance replaces stream's cached history with h if the cache holds an
// older one. It is for readers that hold no stream lock: it never adds a
// stream and never moves one back behind what a writer put there.
func (c *cache) advance(stream string, h *history) {
	if c.size == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.m[stream]; ok && cur.revision < h.revision {
		c.m[stream] = h
	}
}

package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vetclinic/clinic/domain"
)

// Group commit: commands that wait on the same stream in this process are
// decided together and appended together. The first waiter leads: it takes
// the queue (up to maxGroup steps), loads the stream once, decides each step
// in arrival order against the state the earlier ones leave, and appends the
// accepted steps' events in one append (one expected revision, one fsync).
// Each step gets its own answer: its own events, revision and position, or
// its own error. A refusal or a no-op decided after an accepted step of the
// group depends on that step, so it is only answered once the group's append
// has landed. The append is atomic, so a crash leaves every step of a group
// either done or not done (its command retryable), as for one step alone.
// When the leader is done it hands the queue to the first step that arrived
// meanwhile, which leads the next group.

// maxGroup bounds the steps of one group: one append of a busy doctor's day
// stays small, and the state a group is decided on stays fresh.
const maxGroup = 128

// member is one step waiting in a stream's queue, whatever its aggregate.
type member interface {
	base() *waiter
	// decideOn decides the step on hist; it returns the events to append
	// and whether the answer is a refusal or a no-op (which a history from
	// the cache cannot prove).
	decideOn(hist *history) (proposed []Proposed, decided []domain.Event, negative bool)
	// landed completes the step after its group's append (or after a group
	// that appended nothing), w being where the append landed.
	landed(w Written, appended bool)
	// fail answers the step with err.
	fail(err error)
}

// waiter is what every member shares: how it is woken and answered.
type waiter struct {
	ctx    context.Context
	cmd    *command // whose step it is, for its trace context
	stream string
	decode decoder
	fresh  bool
	// ifMatch: the step carries the caller's expected revision, so a
	// conflict of a group of one is ErrStale, not a retry.
	ifMatch bool
	state   waiterState   // guarded by the queue's mutex
	wake    chan struct{} // capacity 1: this waiter leads now
	done    chan struct{} // closed when answered
	// grouped: the step was decided after accepted steps of its group, so
	// its revision and position are those of the group's append.
	grouped bool
	// tentative is the revision of this step's last event (its own or, for
	// a step found done in the group, the earlier step's) within the group.
	tentative int64
	proposed  int // how many events this step put in the group's append
}

type waiterState int

const (
	queued  waiterState = iota
	leading             // first in the queue, woken to lead
	taken               // in a group being decided
)

// groups is the queue of waiting steps per stream in use.
type groups struct {
	mu sync.Mutex
	m  map[string]*streamQueue
}

type streamQueue struct {
	waiting []member
	led     bool // a leader runs; when false, waiting is empty
}

// submit queues m on its stream and returns once m is answered. It returns
// ctx's error if ctx ends while m is still queued (nothing was decided);
// ctx ending after m was taken into a group returns ctx's error marked
// errMaybeAppended (the group may still append m's events).
func (h *Handler) submit(m member) error {
	w := m.base()
	w.wake, w.done = make(chan struct{}, 1), make(chan struct{})
	g := &h.groups
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*streamQueue{}
	}
	q := g.m[w.stream]
	if q == nil {
		q = &streamQueue{}
		g.m[w.stream] = q
	}
	q.waiting = append(q.waiting, m)
	lead := !q.led
	if lead {
		q.led, w.state = true, leading
	}
	g.mu.Unlock()
	if lead {
		h.lead(q, w.stream)
		return nil
	}
	select {
	case <-w.done:
		return nil
	case <-w.wake:
		h.lead(q, w.stream)
		return nil
	case <-w.ctx.Done():
	}
	g.mu.Lock()
	switch w.state {
	case queued:
		q.remove(m)
		g.mu.Unlock()
		return fmt.Errorf("%s: %w", w.stream, w.ctx.Err())
	case leading: // woken as ctx ended: pass the lead on
		q.remove(m)
		g.handOff(q, w.stream)
		g.mu.Unlock()
		return fmt.Errorf("%s: %w", w.stream, w.ctx.Err())
	}
	g.mu.Unlock()
	select {
	case <-w.done: // answered meanwhile
		return nil
	default:
		return fmt.Errorf("%s: %w (%w)", w.stream, w.ctx.Err(), errMaybeAppended)
	}
}

func (q *streamQueue) remove(m member) {
	for i, o := range q.waiting {
		if o == m {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			return
		}
	}
}

// handOff wakes the first waiting step to lead the next group, or retires
// the queue. The caller holds g.mu.
func (g *groups) handOff(q *streamQueue, stream string) {
	if len(q.waiting) == 0 {
		q.led = false
		if g.m[stream] == q {
			delete(g.m, stream)
		}
		return
	}
	next := q.waiting[0].base()
	next.state = leading
	next.wake <- struct{}{}
}

// lead takes up to maxGroup steps from the head of q (the leader's own step
// is the first), commits them as one group and hands the queue on.
func (h *Handler) lead(q *streamQueue, stream string) {
	g := &h.groups
	g.mu.Lock()
	n := min(len(q.waiting), maxGroup)
	group := make([]member, 0, n)
	for _, m := range q.waiting[:n] {
		w := m.base()
		w.state = taken
		if w.ctx.Err() != nil { // left before anything was decided
			m.fail(fmt.Errorf("%s: %w", stream, w.ctx.Err()))
			continue
		}
		group = append(group, m)
	}
	q.waiting = append(q.waiting[:0:0], q.waiting[n:]...)
	g.mu.Unlock()
	// Deferred, so a panic in a decision (recovered by the HTTP layer)
	// does not leave the stream led by nobody, its queue waiting forever.
	defer func() {
		g.mu.Lock()
		g.handOff(q, stream)
		g.mu.Unlock()
	}()
	if len(group) > 0 {
		h.commit(stream, group)
	}
}

// commit is the one load-decide-append path for a group of steps on one
// stream; see update for the rules it keeps. A group of one runs on its
// caller's context; a larger group runs on a context without cancellation,
// so that one caller leaving does not fail the others.
func (h *Handler) commit(stream string, group []member) {
	lead := group[0].base()
	ctx := lead.ctx
	if len(group) > 1 {
		// Not cancelled by one caller leaving, but bounded by the latest
		// deadline among the callers, so a stuck append cannot hold the
		// stream's queue for longer than any of them would have waited.
		ctx = context.WithoutCancel(ctx)
		if d, ok := latestDeadline(group); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d)
			defer cancel()
		}
	}
	fail := func(err error) {
		for _, m := range group {
			m.fail(err)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			h.cache.drop(stream)
			for _, m := range group {
				select {
				case <-m.base().done:
				default: // unanswered: the append may have landed before the panic
					m.fail(fmt.Errorf("%s: a step of its group panicked: %v (%w)", stream, r, errMaybeAppended))
				}
			}
			panic(r)
		}
	}()
	fresh := true
	for _, m := range group {
		fresh = fresh && m.base().fresh
	}
	hist, verified := h.cache.get(stream), false
	if hist == nil {
		hist = &history{revision: NoStream}
		if !fresh {
			var err error
			if hist, err = h.catchUp(ctx, stream, lead.decode, hist, false); err != nil {
				fail(err)
				return
			}
			verified = true
		}
	}
	for conflicts := 0; ; {
		if err := ctx.Err(); err != nil {
			fail(err)
			return
		}
		proposed, events, negative := h.decideGroup(stream, group, hist)
		if !verified && negative {
			var err error
			if hist, err = h.catchUp(ctx, stream, lead.decode, hist, false); err != nil {
				fail(err)
				return
			}
			verified = true
			continue
		}
		if len(proposed) == 0 {
			for _, m := range group {
				m.landed(Written{}, false)
			}
			return
		}
		ends := h.appendSpans(stream, group, proposed)
		w, err := h.store.Append(ctx, stream, hist.revision, proposed)
		for _, end := range ends {
			end(err)
		}
		if errors.Is(err, ErrConcurrency) {
			if len(group) == 1 && group[0].base().ifMatch {
				fail(fmt.Errorf("%s: %w", stream, ErrStale))
				return
			}
			if conflicts++; conflicts > h.maxRetries {
				fail(fmt.Errorf("%s after %d attempts: %w", stream, conflicts, err))
				return
			}
			if hist, err = h.catchUp(ctx, stream, lead.decode, hist, true); err != nil {
				fail(err)
				return
			}
			verified = true
			continue
		}
		if err != nil {
			h.cache.drop(stream) // the append may or may not have happened
			for _, m := range group {
				switch mw := m.base(); {
				case mw.proposed > 0:
					m.fail(fmt.Errorf("append to %s: %w (%w)", stream, err, errMaybeAppended))
				case mw.grouped: // decided on steps that may have landed (its own, for a repeated key)
					m.fail(fmt.Errorf("append to %s: %w (%w)", stream, err, errMaybeAppended))
				default: // decided on stored history alone
					m.landed(Written{}, false)
				}
			}
			return
		}
		h.cache.put(stream, hist.extend(events, proposed, w))
		for _, m := range group {
			m.landed(w, true)
		}
		return
	}
}

// decideGroup decides each step of group in order on hist extended by the
// earlier steps' events, and returns all the events to append and whether
// any step's answer was a refusal or a no-op.
func (h *Handler) decideGroup(stream string, group []member, hist *history) (proposed []Proposed, events []domain.Event, negative bool) {
	work := hist
	for _, m := range group {
		w := m.base()
		w.grouped = len(proposed) > 0
		_, end := h.span(w.ctx, "commands.decide", stream)
		p, e, neg := m.decideOn(work)
		end(nil) // a refusal is an answer, not a failed step
		negative = negative || neg
		w.proposed = len(p)
		if len(p) > 0 {
			rev := work.revision + int64(len(p))
			work = work.extend(e, p, Written{Revision: uint64(rev), Position: hist.position})
			proposed, events = append(proposed, p...), append(events, e...)
		}
	}
	return proposed, events, negative
}

// latestDeadline is the latest deadline among group's callers; false when
// one of them has none (then neither has the group).
func latestDeadline(group []member) (time.Time, bool) {
	var latest time.Time
	for _, m := range group {
		d, ok := m.base().ctx.Deadline()
		if !ok {
			return time.Time{}, false
		}
		if d.After(latest) {
			latest = d
		}
	}
	return latest, true
}

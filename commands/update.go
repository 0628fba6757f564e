package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vetclinic/clinic/domain"
)

// aggregate is what update folds events into.
type aggregate interface {
	Apply(events ...domain.Event)
}

// step is one load-decide-append of a command on one stream.
type step[A aggregate] struct {
	name    string // distinguishes the steps of one command in event IDs
	stream  string
	new     func() A
	decode  decoder
	decide  func(A) ([]domain.Event, error)
	ifMatch *uint64
	// fresh: the stream is expected not to exist (a new aggregate with a
	// new ID), so the first attempt appends without reading.
	fresh bool
}

// outcome is what a step did.
type outcome[A aggregate] struct {
	agg      A     // the aggregate after the step; the caller's own copy
	revision int64 // the stream's last revision after the step, NoStream if none
	position uint64
	// done holds the events this command had appended in this step before
	// (found by their deterministic IDs): the step was already done, and
	// nothing was appended now.
	done []domain.Event
	// appended holds what the step appended now.
	appended []domain.Event
}

// result is the Result of a command whose target step ended in o.
func (o outcome[A]) result(c *command) Result {
	return Result{Revision: uint64(max(o.revision, 0)), Position: c.position.Load()}
}

// errMaybeAppended marks a failed append whose outcome is unknown: the
// store may have taken the events all the same (a reply lost to a timeout,
// a call abandoned when its caller left). Nothing may be undone on the
// assumption that such a step did not happen.
var errMaybeAppended = errors.New("the append may have been stored")

// update is the one load-decide-append path: load the stream, fold it,
// decide, append with the expected revision; on a concurrent update catch
// up and decide again (at most maxRetries times), so a decision that no
// longer holds is reported as the domain's error. If the stream already
// holds the events this command would append in this step (same
// deterministic IDs), it returns them in outcome.done without deciding.
//
// The stream's history comes from the process's cache when it has it
// (unverified: another process may have appended since). Only a successful
// append proves a cached history current, so a refusal, a no-op or a
// conflict decided on it is decided again after catching up with the store.
//
// Steps on the same stream wait in its queue and are committed in groups
// (group.go): decided in order on one load, appended in one append.
func update[A aggregate](ctx context.Context, h *Handler, c *command, s step[A]) (outcome[A], error) {
	m := &stepMember[A]{waiter: waiter{ctx: ctx, cmd: c, stream: s.stream, decode: s.decode, fresh: s.fresh, ifMatch: s.ifMatch != nil}, c: c, s: s}
	if err := h.submit(m); err != nil {
		return outcome[A]{revision: NoStream, agg: s.new()}, err
	}
	return m.o, m.err
}

// stepMember is a step of aggregate A waiting in its stream's queue.
type stepMember[A aggregate] struct {
	waiter
	c   *command
	s   step[A]
	o   outcome[A]
	err error
}

func (m *stepMember[A]) base() *waiter { return &m.waiter }

func (m *stepMember[A]) decideOn(hist *history) ([]Proposed, []domain.Event, bool) {
	var p []Proposed
	m.o, p, m.err = decideOn(m.c, m.s, hist)
	m.tentative = m.o.revision
	if len(p) > 0 {
		m.tentative = hist.revision + int64(len(p))
	}
	return p, m.o.appended, len(m.o.done) == 0 && (m.err != nil || len(p) == 0)
}

func (m *stepMember[A]) landed(w Written, appended bool) {
	defer close(m.done)
	if m.err != nil {
		return
	}
	switch {
	case m.proposed > 0:
		m.o.agg.Apply(m.o.appended...)
		m.o.revision, m.o.position = m.tentative, w.Position
	case m.grouped && appended: // found done in, or a no-op after, the group's steps
		m.o.position = w.Position
	}
	m.c.saw(m.o.position)
}

func (m *stepMember[A]) fail(err error) {
	m.err = err
	close(m.done)
}

// decideOn folds hist into a new aggregate and decides; it returns the
// outcome (with the decided events in appended) and the events to append.
func decideOn[A aggregate](c *command, s step[A], hist *history) (outcome[A], []Proposed, error) {
	o := outcome[A]{agg: s.new(), revision: hist.revision, position: hist.position}
	o.agg.Apply(hist.events...)
	done, rev, pos, err := hist.findDone(c, s.name, s.stream)
	if err != nil {
		return o, nil, err
	}
	if len(done) > 0 {
		o.done, o.revision, o.position = done, rev, pos
		c.saw(pos)
		return o, nil, nil
	}
	if err := checkIfMatch(s.stream, o.revision, s.ifMatch); err != nil {
		return o, nil, err
	}
	decided, err := s.decide(o.agg)
	if err != nil || len(decided) == 0 {
		return o, nil, err
	}
	proposed := make([]Proposed, len(decided))
	for i, e := range decided {
		data, err := json.Marshal(e)
		if err != nil {
			return o, nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
		}
		proposed[i] = Proposed{ID: c.eventID(s.name, s.stream, i), Type: e.EventType(), Data: data, Metadata: c.meta}
	}
	o.appended = decided
	return o, proposed, nil
}

// catchUp reads what the store holds after hist and returns the longer
// history. After a conflict, a store that holds nothing newer than hist
// (the cache was ahead of it) is read again from the start.
func (h *Handler) catchUp(ctx context.Context, stream string, decode decoder, hist *history, afterConflict bool) (_ *history, err error) {
	ctx, end := h.span(ctx, "commands.load", stream)
	defer func() { end(err) }()
	from := uint64(hist.revision + 1)
	recs, err := h.store.Read(ctx, stream, from)
	if err != nil {
		h.cache.drop(stream)
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) == 0 && afterConflict && hist.revision >= 0 {
		hist = &history{revision: NoStream}
		if recs, err = h.store.Read(ctx, stream, 0); err != nil {
			h.cache.drop(stream)
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
	}
	if len(recs) == 0 {
		return hist, nil
	}
	events, err := decodeAll(stream, decode, recs)
	if err != nil {
		h.cache.drop(stream)
		return nil, err
	}
	hist = hist.extendRecorded(events, recs)
	h.cache.put(stream, hist)
	return hist, nil
}

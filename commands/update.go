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
	decode  func(eventType string, data []byte) (domain.Event, error)
	decide  func(A) ([]domain.Event, error)
	ifMatch *uint64
	// fresh: the stream is expected not to exist (a new aggregate with a
	// new ID), so the first attempt appends without reading.
	fresh bool
}

// outcome is what a step did.
type outcome[A aggregate] struct {
	agg      A
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
	return Result{Revision: uint64(max(o.revision, 0)), Position: c.position}
}

// update is the one load-decide-append path: read the stream, fold it,
// decide, append with the expected revision; on a concurrent update reload
// and decide again (at most maxRetries times), so a decision that no longer
// holds is reported as the domain's error. If the stream already holds the
// events this command would append in this step (same deterministic IDs),
// it returns them in outcome.done without deciding again.
func update[A aggregate](ctx context.Context, h *Handler, c *command, s step[A]) (outcome[A], error) {
	unlock := h.lock(s.stream)
	defer unlock()
	var lastErr error
	for attemptN := 0; attemptN <= h.maxRetries; attemptN++ {
		if err := ctx.Err(); err != nil {
			return outcome[A]{}, err
		}
		o, err := attempt(ctx, h, c, s, attemptN == 0 && s.fresh)
		if !errors.Is(err, ErrConcurrency) {
			return o, err
		}
		if s.ifMatch != nil {
			return o, fmt.Errorf("%s: %w", s.stream, ErrStale)
		}
		lastErr = err
	}
	return outcome[A]{}, fmt.Errorf("%s after %d attempts: %w", s.stream, h.maxRetries+1, lastErr)
}

// attempt runs one load-decide-append; blind skips the read (the stream
// is expected not to exist).
func attempt[A aggregate](ctx context.Context, h *Handler, c *command, s step[A], blind bool) (outcome[A], error) {
	o := outcome[A]{agg: s.new(), revision: NoStream}
	var recs []Recorded
	if !blind {
		var err error
		if recs, err = h.store.Read(ctx, s.stream, 0); err != nil {
			return o, fmt.Errorf("read %s: %w", s.stream, err)
		}
	}
	events := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		e, err := s.decode(r.Type, r.Data)
		if err != nil {
			return o, fmt.Errorf("%s@%d: %w", s.stream, r.Revision, err)
		}
		events = append(events, e)
		o.revision, o.position = int64(r.Revision), r.Position
	}
	o.agg.Apply(events...)
	if done, rev, pos := findDone(c, s.name, s.stream, recs, events); len(done) > 0 {
		o.done, o.revision, o.position = done, rev, pos
		c.saw(pos)
		return o, nil
	}
	if s.ifMatch != nil && (o.revision < 0 || uint64(o.revision) != *s.ifMatch) {
		return o, fmt.Errorf("%s is at revision %d, not %d: %w", s.stream, o.revision, *s.ifMatch, ErrStale)
	}
	decided, err := s.decide(o.agg)
	if err != nil {
		return o, err
	}
	if len(decided) == 0 {
		c.saw(o.position)
		return o, nil
	}
	proposed := make([]Proposed, len(decided))
	for i, e := range decided {
		data, err := json.Marshal(e)
		if err != nil {
			return o, fmt.Errorf("encode %s: %w", e.EventType(), err)
		}
		proposed[i] = Proposed{ID: c.eventID(s.name, s.stream, i), Type: e.EventType(), Data: data, Metadata: c.meta}
	}
	w, err := h.store.Append(ctx, s.stream, o.revision, proposed)
	if err != nil {
		return o, fmt.Errorf("append to %s: %w", s.stream, err)
	}
	o.agg.Apply(decided...)
	o.revision, o.position, o.appended = int64(w.Revision), w.Position, decided
	c.saw(w.Position)
	return o, nil
}

// findDone returns the events of recs that c appended in step before,
// found by their deterministic IDs, with the revision and position of the
// last of them. Only keyed commands can find any: others have fresh IDs.
func findDone(c *command, step, stream string, recs []Recorded, events []domain.Event) ([]domain.Event, int64, uint64) {
	if !c.keyed {
		return nil, 0, 0
	}
	first := c.eventID(step, stream, 0)
	for i, r := range recs {
		if r.ID != first {
			continue
		}
		n := 1
		for i+n < len(recs) && recs[i+n].ID == c.eventID(step, stream, n) {
			n++
		}
		last := recs[i+n-1]
		return events[i : i+n], int64(last.Revision), last.Position
	}
	return nil, 0, 0
}

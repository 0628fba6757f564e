// Package projectionstest holds test doubles for the projections runtime:
// an in-memory $all and a runner started for a test.
package projectionstest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/projections"
)

// MemorySource is an in-memory $all for tests of subscribers: Append adds
// events, Drop ends every open subscription (as a server restart would).
type MemorySource struct {
	mu      sync.Mutex
	events  []projections.Event
	changed chan struct{} // closed and replaced on every change
	gen     int           // bumped by Drop
	revs    map[string]uint64
	now     func() time.Time
}

var _ projections.Source = (*MemorySource)(nil)

// NewMemorySource returns an empty $all.
func NewMemorySource() *MemorySource {
	return &MemorySource{changed: make(chan struct{}), now: time.Now, revs: map[string]uint64{}}
}

func (m *MemorySource) notify() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// Append adds an event of type typ with data to stream and returns it as
// recorded (positions count up from 1, ids are fresh unless given by id).
func (m *MemorySource) Append(stream, typ string, data []byte) projections.Event {
	return m.AppendWithID(uuid.NewString(), stream, typ, data)
}

// AppendWithID is Append with a chosen event id.
func (m *MemorySource) AppendWithID(id, stream, typ string, data []byte) projections.Event {
	return m.AppendWithMetadata(id, stream, typ, data, nil)
}

// AppendWithMetadata is AppendWithID with the event's metadata (such as
// {"commandId","by"}, as the command side writes it).
func (m *MemorySource) AppendWithMetadata(id, stream, typ string, data, metadata []byte) projections.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	rev := m.revs[stream]
	m.revs[stream] = rev + 1
	n := uint64(len(m.events) + 1)
	ev := projections.Event{ID: id, Type: typ, Stream: stream, Revision: rev, Position: projections.Position{Commit: n * 100, Prepare: n * 100},
		Created: m.now().UTC(), Data: data, Metadata: metadata}
	m.events = append(m.events, ev)
	m.notify()
	return ev
}

// Events returns everything appended so far.
func (m *MemorySource) Events() []projections.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]projections.Event(nil), m.events...)
}

// Drop ends every open subscription with ErrDropped.
func (m *MemorySource) Drop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.notify()
}

// Subscribe implements Source.
func (m *MemorySource) Subscribe(ctx context.Context, from projections.Position, f projections.Filter) (projections.Stream, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	return &memStream{m: m, ctx: ctx, cancel: cancel, from: from, filter: f, gen: m.gen}, nil
}

type memStream struct {
	m        *MemorySource
	ctx      context.Context
	cancel   context.CancelFunc
	from     projections.Position
	filter   projections.Filter
	gen      int
	next     int
	caughtUp bool
}

func (s *memStream) Close() error { s.cancel(); return nil }

func (s *memStream) Recv() (projections.Message, error) {
	for {
		s.m.mu.Lock()
		if s.gen != s.m.gen {
			s.m.mu.Unlock()
			return projections.Message{}, projections.ErrDropped
		}
		var skipped *projections.Position
		for s.next < len(s.m.events) {
			ev := s.m.events[s.next]
			s.next++
			if s.from.Less(ev.Position) && s.filter.Match(ev) {
				s.m.mu.Unlock()
				return projections.Message{Event: &ev}, nil
			}
			skipped = &ev.Position
		}
		if skipped != nil {
			// Like the server's filtered-read checkpoints: the subscriber
			// may move its checkpoint past events it does not see.
			s.m.mu.Unlock()
			return projections.Message{Checkpoint: skipped}, nil
		}
		if !s.caughtUp {
			s.caughtUp = true
			s.m.mu.Unlock()
			return projections.Message{CaughtUp: true}, nil
		}
		changed := s.m.changed
		s.m.mu.Unlock()
		select {
		case <-changed:
		case <-s.ctx.Done():
			return projections.Message{}, errors.Join(projections.ErrDropped, s.ctx.Err())
		}
	}
}

// Head implements Source.
func (m *MemorySource) Head(ctx context.Context, f projections.Filter) (projections.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.events) - 1; i >= 0; i-- {
		if f.Match(m.events[i]) {
			return m.events[i], nil
		}
	}
	return projections.Event{}, nil
}

// Count implements Source.
func (m *MemorySource) Count(ctx context.Context, from projections.Position, f projections.Filter, max int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.events {
		if n < max && from.Less(e.Position) && f.Match(e) {
			n++
		}
	}
	return n, nil
}

// AnyUpTo implements Source.
func (m *MemorySource) AnyUpTo(ctx context.Context, from projections.Position, upTo uint64, f projections.Filter) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	head := from.Commit
	for _, e := range m.events {
		if from.Less(e.Position) && e.Position.Commit <= upTo && f.Match(e) {
			return true, nil
		}
		head = max(head, e.Position.Commit)
	}
	return head < upTo, nil // beyond the head: events may still come there
}

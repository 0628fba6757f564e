package projections

import (
	"context"
	"errors"
	"strings"
)

// Errors of a Source. ErrDropped is what a Stream returns when the server
// ends it; ErrSourceUnavailable wraps the failures of a call the event
// store could not answer (down, unreachable, not answering in time), as
// opposed to an answer, so a reader can say "try again shortly".
var (
	ErrDropped           = errors.New("projections: subscription dropped")
	ErrSourceUnavailable = errors.New("projections: the event store is unavailable")
)

// Filter selects the events of $all a subscriber sees, by event-type or by
// stream-name prefix (the server applies it). Empty means everything that is
// not a system event.
type Filter struct {
	EventTypePrefixes []string
	StreamPrefixes    []string
}

// Match reports whether ev passes f; sources that cannot filter on the
// server use it.
func (f Filter) Match(ev Event) bool {
	if strings.HasPrefix(ev.Type, "$") || strings.HasPrefix(ev.Stream, "$") {
		return false
	}
	if len(f.EventTypePrefixes) == 0 && len(f.StreamPrefixes) == 0 {
		return true
	}
	for _, p := range f.EventTypePrefixes {
		if strings.HasPrefix(ev.Type, p) {
			return true
		}
	}
	for _, p := range f.StreamPrefixes {
		if strings.HasPrefix(ev.Stream, p) {
			return true
		}
	}
	return false
}

// Message is one thing a subscription delivers: an event, a checkpoint
// (everything up to Position was seen and filtered out), or the news that
// the subscription has caught up with the head of $all.
type Message struct {
	Event      *Event
	Checkpoint *Position
	CaughtUp   bool
}

// Stream is an open subscription. Recv blocks until the next message; an
// error means the subscription is gone. Close ends it and unblocks Recv.
type Stream interface {
	Recv() (Message, error)
	Close() error
}

// Source is $all: subscriptions to it and its head.
type Source interface {
	// Subscribe starts after from (at the beginning when from is zero):
	// catch-up, then live.
	Subscribe(ctx context.Context, from Position, f Filter) (Stream, error)
	// Head returns the position and time of the last event passing f (zero
	// when there is none).
	Head(ctx context.Context, f Filter) (Event, error)
	// Count returns how many events passing f come after from, stopping at max.
	Count(ctx context.Context, from Position, f Filter, max int) (int, error)
	// AnyUpTo reports whether an event passing f lies after from and at or
	// before commit position upTo, or may still come there: it is true when
	// $all ends before upTo (a position beyond the head is not a position
	// anything has seen). A projection whose checkpoint is at from has then
	// seen everything of interest up to upTo when it is false.
	AnyUpTo(ctx context.Context, from Position, upTo uint64, f Filter) (bool, error)
}

package projections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// ESDBSource is $all on EventStoreDB (or the embedded, protocol-compatible
// store) through the official client.
type ESDBSource struct {
	Client *esdb.Client
}

// callTimeout bounds how long a call into the client may take to start
// answering. The official client can block a call forever, ignoring its
// context, once its connection goroutine has given up on a server that
// went away; guarded calls return instead (leaving that goroutine behind),
// so runners keep retrying with backoff and shut down when told to.
const callTimeout = 30 * time.Second

// guard runs fn, giving up when ctx ends or callTimeout passes.
func guard[T any](ctx context.Context, what string, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%s: the event store client did not answer: %w", what, ctx.Err())
	}
}

var _ Source = ESDBSource{}

func esdbFilter(f Filter) *esdb.SubscriptionFilter {
	switch {
	case len(f.StreamPrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: f.StreamPrefixes}
	case len(f.EventTypePrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: f.EventTypePrefixes}
	}
	return esdb.ExcludeSystemEventsFilter()
}

// allAfter is where in $all to start for a caller that has seen up to
// from: the beginning when from is zero.
func allAfter(from Position) esdb.AllPosition {
	if from.IsZero() {
		return esdb.Start{}
	}
	return esdb.Position{Commit: from.Commit, Prepare: from.Prepare}
}

// Subscribe implements Source with SubscribeToAll and a server-side filter.
func (s ESDBSource) Subscribe(ctx context.Context, from Position, f Filter) (Stream, error) {
	opts := esdb.SubscribeToAllOptions{From: allAfter(from), Filter: esdbFilter(f)}
	type opened struct{ sub *esdb.Subscription }
	ch := make(chan opened, 1)
	errc := make(chan error, 1)
	go func() {
		sub, err := s.Client.SubscribeToAll(ctx, opts)
		if err != nil {
			errc <- err
			return
		}
		ch <- opened{sub}
	}()
	timer := time.NewTimer(callTimeout)
	defer timer.Stop()
	var sub *esdb.Subscription
	select {
	case o := <-ch:
		sub = o.sub
	case err := <-errc:
		return nil, fmt.Errorf("subscribe to $all after %v: %w", from, err)
	case <-ctx.Done():
		return nil, fmt.Errorf("subscribe to $all after %v: %w", from, ctx.Err())
	case <-timer.C:
		return nil, fmt.Errorf("subscribe to $all after %v: the event store client did not answer in %s", from, callTimeout)
	}
	return &esdbStream{sub: sub, filter: f}, nil
}

type esdbStream struct {
	sub    *esdb.Subscription
	filter Filter
}

func (s *esdbStream) Close() error { return s.sub.Close() }

func (s *esdbStream) Recv() (Message, error) {
	for {
		m := s.sub.Recv()
		switch {
		case m.SubscriptionDropped != nil:
			return Message{}, fmt.Errorf("%w: %v", ErrDropped, m.SubscriptionDropped.Error)
		case m.EventAppeared != nil:
			ev := fromRecorded(m.EventAppeared.OriginalEvent())
			if !s.filter.Match(ev) {
				// Belt and braces: a server that ignores the filter must not
				// feed us foreign events; the position still counts.
				p := ev.Position
				return Message{Checkpoint: &p}, nil
			}
			return Message{Event: &ev}, nil
		case m.CheckPointReached != nil:
			p := Position{Commit: m.CheckPointReached.Commit, Prepare: m.CheckPointReached.Prepare}
			return Message{Checkpoint: &p}, nil
		case m.CaughtUp != nil:
			return Message{CaughtUp: true}, nil
		}
	}
}

func fromRecorded(r *esdb.RecordedEvent) Event {
	return Event{
		ID: r.EventID.String(), Type: r.EventType, Stream: r.StreamID, Revision: r.EventNumber,
		Position: Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare},
		Created:  r.CreatedDate.UTC(), Data: r.Data, Metadata: r.UserMetadata,
	}
}

// headWindow bounds how far back Head looks for an event passing the filter.
const headWindow = 4096

// Head implements Source: it reads $all backwards to the last event that
// passes f. When none is among the last headWindow events, the very last
// event of $all stands in (the filter's head is at least that old); when
// $all holds none at all, the zero Event.
func (s ESDBSource) Head(ctx context.Context, f Filter) (Event, error) {
	return guard(ctx, "read head of $all", func(ctx context.Context) (Event, error) { return s.head(ctx, f) })
}

func (s ESDBSource) head(ctx context.Context, f Filter) (Event, error) {
	rs, err := s.Client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, headWindow)
	if err != nil {
		return Event{}, fmt.Errorf("read head of $all: %w", err)
	}
	defer rs.Close()
	var last *Event
	n := 0
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Event{}, fmt.Errorf("read head of $all: %w", err)
		}
		n++
		ev := fromRecorded(r.OriginalEvent())
		if f.Match(ev) {
			return ev, nil
		}
		if last == nil {
			last = &ev
		}
	}
	if last != nil && n >= headWindow {
		return Event{Position: last.Position, Created: last.Created}, nil
	}
	return Event{}, nil
}

// Count implements Source by reading $all forwards from from.
func (s ESDBSource) Count(ctx context.Context, from Position, f Filter, max int) (int, error) {
	return guard(ctx, "count $all", func(ctx context.Context) (int, error) { return s.count(ctx, from, f, max) })
}

func (s ESDBSource) count(ctx context.Context, from Position, f Filter, max int) (int, error) {
	opts := esdb.ReadAllOptions{Direction: esdb.Forwards, From: allAfter(from)}
	rs, err := s.Client.ReadAll(ctx, opts, uint64(max)+1)
	if err != nil {
		return 0, fmt.Errorf("count $all after %v: %w", from, err)
	}
	defer rs.Close()
	n := 0
	for n < max {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("count $all after %v: %w", from, err)
		}
		ev := fromRecorded(r.OriginalEvent())
		if from.Less(ev.Position) && f.Match(ev) {
			n++
		}
	}
	return n, nil
}

// anyUpToWindow bounds the events AnyUpTo reads; past it, it answers true
// (the caller keeps waiting for the projection instead).
const anyUpToWindow = 4096

// AnyUpTo implements Source by reading $all forwards from from.
func (s ESDBSource) AnyUpTo(ctx context.Context, from Position, upTo uint64, f Filter) (bool, error) {
	return guard(ctx, "read $all", func(ctx context.Context) (bool, error) { return s.anyUpTo(ctx, from, upTo, f) })
}

func (s ESDBSource) anyUpTo(ctx context.Context, from Position, upTo uint64, f Filter) (bool, error) {
	opts := esdb.ReadAllOptions{Direction: esdb.Forwards, From: allAfter(from)}
	rs, err := s.Client.ReadAll(ctx, opts, anyUpToWindow)
	if err != nil {
		return false, fmt.Errorf("read $all after %v: %w", from, err)
	}
	defer rs.Close()
	n := 0
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			// The end of $all, or of the window: only the former is an answer.
			return n >= anyUpToWindow, nil
		}
		if err != nil {
			return false, fmt.Errorf("read $all after %v: %w", from, err)
		}
		n++
		ev := fromRecorded(r.OriginalEvent())
		if !from.Less(ev.Position) {
			continue
		}
		if ev.Position.Commit > upTo {
			return false, nil
		}
		if f.Match(ev) {
			return true, nil
		}
	}
}

package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/projections"
)

// Source is $all on EventStoreDB (or the embedded, protocol-compatible
// store) through the official client, for the read side's runtime.
type Source struct {
	Client *client.Client
	// CallTimeout bounds how long a call may take to start answering;
	// default 30s (reading a window of $all backwards takes longer than
	// one append).
	CallTimeout time.Duration
}

// sourceCallTimeout is Source's default CallTimeout.
const sourceCallTimeout = 30 * time.Second

func (s Source) timeout() time.Duration {
	if s.CallTimeout > 0 {
		return s.CallTimeout
	}
	return sourceCallTimeout
}

var _ projections.Source = Source{}

// call is guard with the source's timeout; what names the call that got
// no answer.
// A failure of the store rather than an answer (unreachable, no answer in
// time) wraps projections.ErrSourceUnavailable, unless the caller gave up.
func call[T any](ctx context.Context, s Source, what string, fn func(ctx context.Context) (T, error)) (T, error) {
	v, err := guard(ctx, s.timeout(), fn)
	switch {
	case err == nil || ctx.Err() != nil:
		return v, err
	case errors.Is(err, errNoAnswer):
		return v, fmt.Errorf("%s: %w: %w", what, projections.ErrSourceUnavailable, err)
	case isInfrastructure(err):
		return v, fmt.Errorf("%w: %w", projections.ErrSourceUnavailable, err)
	}
	return v, err
}

func esdbFilter(f projections.Filter) *client.SubscriptionFilter {
	switch {
	case len(f.StreamPrefixes) > 0:
		return &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: f.StreamPrefixes}
	case len(f.EventTypePrefixes) > 0:
		return &client.SubscriptionFilter{Type: client.EventFilterType, Prefixes: f.EventTypePrefixes}
	}
	return client.ExcludeSystemEventsFilter()
}

// allAfter is where in $all to start for a caller that has seen up to
// from: the beginning when from is zero.
func allAfter(from projections.Position) client.AllPosition {
	if from.IsZero() {
		return client.Start{}
	}
	return client.Position{Commit: from.Commit, Prepare: from.Prepare}
}

// Subscribe implements projections.Source with SubscribeToAll and a server-side filter.
func (s Source) Subscribe(ctx context.Context, from projections.Position, f projections.Filter) (projections.Stream, error) {
	opts := client.SubscribeToAllOptions{From: allAfter(from), Filter: esdbFilter(f)}
	// The subscription outlives the guarded call: it runs on ctx, not on
	// the guard's bounded context.
	sub, err := call(ctx, s, fmt.Sprintf("subscribe to $all after %v", from), func(context.Context) (*client.Subscription, error) {
		return s.Client.SubscribeToAll(ctx, opts)
	})
	if err != nil {
		if errors.Is(err, errNoAnswer) {
			return nil, err
		}
		return nil, fmt.Errorf("subscribe to $all after %v: %w", from, err)
	}
	return &esdbStream{sub: sub, filter: f}, nil
}

type esdbStream struct {
	sub    *client.Subscription
	filter projections.Filter
}

func (s *esdbStream) Close() error { return s.sub.Close() }

func (s *esdbStream) Recv() (projections.Message, error) {
	for {
		m := s.sub.Recv()
		switch {
		case m.SubscriptionDropped != nil:
			return projections.Message{}, fmt.Errorf("%w: %v", projections.ErrDropped, m.SubscriptionDropped.Error)
		case m.EventAppeared != nil:
			ev := fromRecorded(m.EventAppeared.OriginalEvent())
			if !s.filter.Match(ev) {
				// Belt and braces: a server that ignores the filter must not
				// feed us foreign events; the position still counts.
				p := ev.Position
				return projections.Message{Checkpoint: &p}, nil
			}
			return projections.Message{Event: &ev}, nil
		case m.CheckPointReached != nil:
			p := projections.Position{Commit: m.CheckPointReached.Commit, Prepare: m.CheckPointReached.Prepare}
			return projections.Message{Checkpoint: &p}, nil
		case m.CaughtUp != nil:
			return projections.Message{CaughtUp: true}, nil
		}
	}
}

func fromRecorded(r *client.RecordedEvent) projections.Event {
	return projections.Event{
		ID: r.EventID.String(), Type: r.EventType, Stream: r.StreamID, Revision: r.EventNumber,
		Position: projections.Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare},
		Created:  r.CreatedDate.UTC(), Data: r.Data, Metadata: r.UserMetadata,
	}
}

// headWindow bounds how far back Head looks for an event passing the filter.
const headWindow = 4096

// Head implements projections.Source: it reads $all backwards to the last event that
// passes f. When none is among the last headWindow events, the very last
// event of $all stands in (the filter's head is at least that old); when
// $all holds none at all, the zero Event.
func (s Source) Head(ctx context.Context, f projections.Filter) (projections.Event, error) {
	return call(ctx, s, "read head of $all", func(ctx context.Context) (projections.Event, error) { return s.head(ctx, f) })
}

func (s Source) head(ctx context.Context, f projections.Filter) (projections.Event, error) {
	rs, err := s.Client.ReadAll(ctx, client.ReadAllOptions{Direction: client.Backwards, From: client.End{}}, headWindow)
	if err != nil {
		return projections.Event{}, fmt.Errorf("read head of $all: %w", err)
	}
	defer rs.Close()
	var last *projections.Event
	n := 0
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return projections.Event{}, fmt.Errorf("read head of $all: %w", err)
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
		return projections.Event{Position: last.Position, Created: last.Created}, nil
	}
	return projections.Event{}, nil
}

// Count implements projections.Source by reading $all forwards from from.
func (s Source) Count(ctx context.Context, from projections.Position, f projections.Filter, max int) (int, error) {
	return call(ctx, s, "count $all", func(ctx context.Context) (int, error) { return s.count(ctx, from, f, max) })
}

func (s Source) count(ctx context.Context, from projections.Position, f projections.Filter, max int) (int, error) {
	opts := client.ReadAllOptions{Direction: client.Forwards, From: allAfter(from)}
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

// AnyUpTo implements projections.Source by reading $all forwards from from.
func (s Source) AnyUpTo(ctx context.Context, from projections.Position, upTo uint64, f projections.Filter) (bool, error) {
	return call(ctx, s, "read $all", func(ctx context.Context) (bool, error) { return s.anyUpTo(ctx, from, upTo, f) })
}

func (s Source) anyUpTo(ctx context.Context, from projections.Position, upTo uint64, f projections.Filter) (bool, error) {
	opts := client.ReadAllOptions{Direction: client.Forwards, From: allAfter(from)}
	rs, err := s.Client.ReadAll(ctx, opts, anyUpToWindow)
	if err != nil {
		return false, fmt.Errorf("read $all after %v: %w", from, err)
	}
	defer rs.Close()
	n, head := 0, from.Commit
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			// The end of $all, or of the window: only the former is an
			// answer, and upTo beyond the end is not one either.
			return n >= anyUpToWindow || head < upTo, nil
		}
		if err != nil {
			return false, fmt.Errorf("read $all after %v: %w", from, err)
		}
		n++
		ev := fromRecorded(r.OriginalEvent())
		head = max(head, ev.Position.Commit)
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

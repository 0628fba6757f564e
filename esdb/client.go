package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// errNoAnswer marks a call guard gave up on.
var errNoAnswer = errors.New("the event store client did not answer")

// guard runs fn apart and waits for its answer until ctx ends or timeout
// passes, whichever comes first; fn gets a context that ends then too. The
// official client can block a call forever, ignoring its context, once its
// connection goroutine has given up on a server that went away: guarded
// calls return instead (leaving that goroutine behind), so callers keep
// retrying with backoff and shut down when told to. When it gives up, the
// error wraps errNoAnswer and the context's error.
//
// It is the one guard of this package: the command side's Store and the
// read side's Source both call the client through it.
//
// When the caller's own ctx ends (a shutdown), guard still waits up to
// abandonGrace for fn: a call that does end with its context is then over
// before the caller goes on to close the client, which the client does not
// allow while a call is under way (Close and a starting call race on its
// connection channel).
func guard[T any](parent context.Context, timeout time.Duration, fn func(ctx context.Context) (T, error)) (T, error) {
	return guardStall(parent, timeout, nil, fn)
}

// guardStall is guard that also gives up, at once, when stall closes; the
// error then wraps errNoAnswer and errStalled.
func guardStall[T any](parent context.Context, timeout time.Duration, stall <-chan struct{}, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
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
	case <-stall:
		var zero T
		return zero, fmt.Errorf("%w: %w", errNoAnswer, errStalled)
	case <-ctx.Done():
	}
	if parent.Err() != nil {
		t := time.NewTimer(abandonGrace)
		defer t.Stop()
		select {
		case <-ch:
		case <-t.C:
		}
	}
	var zero T
	return zero, fmt.Errorf("%w: %w", errNoAnswer, ctx.Err())
}

// abandonGrace is how long guard waits for a call after its caller gave up.
const abandonGrace = time.Second

// ClientLogger sends the official client's own log lines (discovery
// attempts, subscription drops that the callers report and handle
// themselves) to log at debug level, instead of plain stderr. Set it as the
// Logger of a client.Configuration.
func ClientLogger(log *slog.Logger) client.LoggingFunc {
	return func(level client.LogLevel, format string, args ...any) {
		log.Debug(fmt.Sprintf(format, args...), "level", level)
	}
}

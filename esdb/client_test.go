package esdb

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestGuardWaitsForACallItsCallerGaveUpOn: after the caller's context ends,
// a call that ends with its context is over before guard returns, so the
// caller may close the client; one that hangs is left after abandonGrace.
func TestGuardWaitsForACallItsCallerGaveUpOn(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := false
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err := guard(ctx, time.Minute, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // the client winding down
		done = true                       // the race detector checks the edge
		return 0, ctx.Err()
	})
	if !errors.Is(err, errNoAnswer) || !errors.Is(err, context.Canceled) {
		t.Errorf("guard = %v", err)
	}
	if !done {
		t.Error("guard returned before the call it gave up on was over")
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	if _, err := guard(ctx, time.Minute, func(context.Context) (int, error) { <-hang; return 0, nil }); !errors.Is(err, errNoAnswer) {
		t.Errorf("guard of a hanging call = %v", err)
	}
	if d := time.Since(start); d < abandonGrace || d > abandonGrace+time.Second {
		t.Errorf("a hanging call held guard %v, want about %v", d, abandonGrace)
	}
}

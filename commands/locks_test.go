package commands

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestStreamLocks(t *testing.T) {
	t.Parallel()
	var l streamLocks
	var wg sync.WaitGroup
	counts := map[string]*int{"a": new(int), "b": new(int), "c": new(int)} // read-only map, one counter per stream
	for i := range 200 {
		stream := []string{"a", "b", "c"}[i%3]
		wg.Go(func() {
			unlock, err := l.lock(context.Background(), stream)
			if err != nil {
				t.Error(err)
				return
			}
			*counts[stream]++ // the race detector flags this if one stream's holders overlap
			unlock()
		})
	}
	wg.Wait()
	if *counts["a"]+*counts["b"]+*counts["c"] != 200 {
		t.Fatalf("counts %v", counts)
	}
	if len(l.m) != 0 {
		t.Fatalf("%d locks left after all were released", len(l.m))
	}
}

func TestStreamLockWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	var l streamLocks
	unlock, err := l.lock(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.lock(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting on a held lock with a done context: %v", err)
	}
	unlock()
	if len(l.m) != 0 {
		t.Fatalf("%d locks left", len(l.m))
	}
}

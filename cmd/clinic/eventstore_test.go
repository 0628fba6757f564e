package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// signalWriter collects output and closes seen when it contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func TestEventstoreServeStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &signalWriter{want: "event store listening", seen: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"eventstore", "serve", "--listen", "127.0.0.1:0"},
			func(k string) string {
				if k == "CLINIC_DATA" {
					return t.TempDir()
				}
				return ""
			}, &bytes.Buffer{}, stderr)
	}()
	select {
	case <-stderr.seen:
	case err := <-done:
		t.Fatalf("eventstore serve ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("eventstore serve did not log where it listens")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("eventstore serve after cancel: %v", err)
	}
}

func TestEventstoreNeedsServe(t *testing.T) {
	t.Parallel()
	if err := run(context.Background(), []string{"eventstore"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Fatal("clinic eventstore with no subcommand succeeded")
	}
}

package esdb

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

func proposed(n int) []commands.Proposed {
	out := make([]commands.Proposed, n)
	for i := range out {
		out[i] = commands.Proposed{ID: uuid.New(), Type: "TestHappened", Data: []byte(`{"n":1}`), Metadata: []byte(`{}`)}
	}
	return out
}

func open(t *testing.T, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestReadAppend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, esdbtest.URL(t), Options{FailureThreshold: 1})
	stream := "test-" + uuid.NewString()
	got, err := s.Read(ctx, stream, 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("missing stream: %v, %v", got, err)
	}
	evs := proposed(2)
	w, err := s.Append(ctx, stream, commands.NoStream, evs)
	if err != nil || w.Revision != 1 || w.Position == 0 {
		t.Fatalf("append: %+v, %v", w, err)
	}
	// A wrong expected revision is ErrConcurrency, and does not trip the breaker.
	for range 3 {
		if _, err := s.Append(ctx, stream, 0, proposed(1)); !errors.Is(err, commands.ErrConcurrency) {
			t.Fatalf("stale append: %v", err)
		}
		if _, err := s.Append(ctx, stream, commands.NoStream, proposed(1)); !errors.Is(err, commands.ErrConcurrency) {
			t.Fatalf("no-stream append on a stream: %v", err)
		}
	}
	if st := s.BreakerState(); st != "closed" {
		t.Fatalf("breaker %s after conflicts, want closed", st)
	}
	w2, err := s.Append(ctx, stream, 1, proposed(1))
	if err != nil || w2.Revision != 2 || w2.Position <= w.Position {
		t.Fatalf("append at 1: %+v, %v", w2, err)
	}
	got, err = s.Read(ctx, stream, 0)
	if err != nil || len(got) != 3 || got[0].ID != evs[0].ID || got[1].Revision != 1 || got[2].Position != w2.Position {
		t.Fatalf("read: %+v, %v", got, err)
	}
	if got, err = s.Read(ctx, stream, 2); err != nil || len(got) != 1 || got[0].Revision != 2 {
		t.Fatalf("read from 2: %+v, %v", got, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestInFlightBound(t *testing.T) {
	t.Parallel()
	s := open(t, esdbtest.URL(t), Options{MaxInFlight: 2, QueueWait: time.Millisecond})
	s.slots <- struct{}{} // two calls in flight
	s.slots <- struct{}{}
	_, err := s.Read(context.Background(), "test-x", 0)
	if !errors.Is(err, commands.ErrUnavailable) {
		t.Fatalf("saturated: %v, want ErrUnavailable", err)
	}
	<-s.slots
	if _, err := s.Read(context.Background(), "test-x", 0); err != nil {
		t.Fatalf("with a free place: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestBreakerStopRestart: the store stops; calls fail with ErrUnavailable
// and, once the breaker opens, fail fast without touching the network; the
// store restarts on the same data and port; calls succeed again after the
// breaker's timeout, with the data intact.
func TestBreakerStopRestart(t *testing.T) {
	if esdbtest.External() {
		t.Skip("needs an embedded server it can stop")
	}
	t.Parallel()
	ctx := context.Background()
	dir, addr := t.TempDir(), freeAddr(t)
	srv, err := eventstore.Start(ctx, addr, eventstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, srv.URL(), Options{BreakerTimeout: 200 * time.Millisecond, FailureThreshold: 2,
		CallTimeout: 2 * time.Second, MaxDiscoverAttempts: 1})
	stream := "test-" + uuid.NewString()
	if _, err := s.Append(ctx, stream, commands.NoStream, proposed(1)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	opened := false
	for i := 0; i < 20 && !opened; i++ {
		_, err := s.Read(ctx, stream, 0)
		if !errors.Is(err, commands.ErrUnavailable) {
			t.Fatalf("call %d with the store down: %v, want ErrUnavailable", i, err)
		}
		opened = s.BreakerState() == "open"
	}
	if !opened {
		t.Fatal("breaker did not open")
	}
	if _, err := s.Append(ctx, stream, 0, proposed(1)); !errors.Is(err, commands.ErrUnavailable) {
		t.Fatalf("append with the breaker open: %v", err)
	}
	// Half-open probes while the store is still down fail and reopen the
	// breaker; they also make the official client give up rediscovery and
	// close itself for good, which the Store must survive.
	for i := range 3 {
		time.Sleep(250 * time.Millisecond) // past the breaker's timeout: the next call is a probe
		if _, err := s.Append(ctx, stream, 0, proposed(1)); !errors.Is(err, commands.ErrUnavailable) {
			t.Fatalf("probe %d with the store down: %v", i, err)
		}
	}

	srv, err = eventstore.Start(ctx, addr, eventstore.Options{Dir: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := s.Read(ctx, stream, 0)
		if err == nil {
			if len(got) != 1 {
				t.Fatalf("after restart the stream holds %d events, want 1", len(got))
			}
			break
		}
		if !errors.Is(err, commands.ErrUnavailable) {
			t.Fatalf("while recovering: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("still unavailable after restart: %v (breaker %s)", err, s.BreakerState())
		}
		time.Sleep(50 * time.Millisecond) // polling the breaker's own timer: there is no signal to wait on
	}
	if st := s.BreakerState(); st != "closed" {
		t.Fatalf("breaker %s after recovery, want closed", st)
	}
	if _, err := s.Append(ctx, stream, 0, proposed(1)); err != nil {
		t.Fatalf("append after recovery: %v", err)
	}
}

// TestRefusedAppendIsNoOutage: an append the server refuses as too large is
// an error of its own, neither ErrUnavailable nor a strike for the breaker.
func TestRefusedAppendIsNoOutage(t *testing.T) {
	if esdbtest.External() {
		t.Skip("needs an embedded server with a small append limit")
	}
	t.Parallel()
	srv, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: t.TempDir(), MaxAppendSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s := open(t, srv.URL(), Options{FailureThreshold: 1})
	big := proposed(1)
	big[0].Data = []byte(`{"x":"` + strings.Repeat("a", 2000) + `"}`)
	for range 3 {
		_, err := s.Append(context.Background(), "test-big", commands.NoStream, big)
		if err == nil || errors.Is(err, commands.ErrUnavailable) {
			t.Fatalf("oversize append: %v, want a plain error", err)
		}
	}
	if st := s.BreakerState(); st != "closed" {
		t.Fatalf("breaker %s after refused appends, want closed", st)
	}
}

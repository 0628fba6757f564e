package httpapi

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
)

// fakeFeed is a read side whose commits the test makes.
type fakeFeed struct {
	emptyLookup
	mu      sync.Mutex
	pos     map[string]uint64
	changed chan struct{}
}

func newFakeFeed() *fakeFeed {
	return &fakeFeed{pos: map[string]uint64{"visits": 10, "records": 7}, changed: make(chan struct{})}
}

func (f *fakeFeed) commit(name string, pos uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pos[name] = pos
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeFeed) NextCommit(ctx context.Context, seen map[string]uint64) (map[string]uint64, error) {
	for {
		f.mu.Lock()
		now, ch := maps.Clone(f.pos), f.changed
		f.mu.Unlock()
		if seen == nil || !maps.Equal(now, seen) {
			return now, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

// sseReader reads a stream's events and comments, a block at a time.
type sseReader struct {
	t  *testing.T
	sc *bufio.Scanner
}

// next returns the next block (lines up to a blank line), joined by "\n".
func (r sseReader) next() string {
	r.t.Helper()
	var lines []string
	for r.sc.Scan() {
		if r.sc.Text() == "" {
			return strings.Join(lines, "\n")
		}
		lines = append(lines, r.sc.Text())
	}
	r.t.Fatalf("the stream ended (%v) after %q", r.sc.Err(), lines)
	return ""
}

// TestEventStreamTellsCommitsAndHeartbeats: a staff member's stream opens
// with each read model's position, then tells each commit, sends a
// heartbeat while nothing happens, and ends when the server shuts down;
// a customer may not open it, and a stream asked for after shutdown is 503.
func TestEventStreamTellsCommitsAndHeartbeats(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	feed := newFakeFeed()
	s := New(Config{Verifier: a.verifier, Lookup: feed, StreamHeartbeat: 200 * time.Millisecond})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	get := func(token string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/api/v1/events/stream", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	if resp := get(a.token(t, "010-1234-5678", auth.RoleCustomer)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a customer's stream: %d", resp.StatusCode)
	}
	resp := get(a.token(t, "dr-kim", auth.RoleVet))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := sseReader{t: t, sc: bufio.NewScanner(resp.Body)}
	for _, want := range []string{
		"retry: 2000",
		"event: commit\ndata: {\"readModel\":\"records\",\"position\":7}",
		"event: commit\ndata: {\"readModel\":\"visits\",\"position\":10}",
	} {
		if got := r.next(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	feed.commit("visits", 12)
	if got, want := r.next(), "event: commit\ndata: {\"readModel\":\"visits\",\"position\":12}"; got != want {
		t.Fatalf("after a commit: %q, want %q", got, want)
	}
	if got := r.next(); got != ": heartbeat" {
		t.Fatalf("idle: %q, want a heartbeat", got)
	}

	s.CloseStreams()
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the stream ended with %v, want its end", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream goes on after CloseStreams")
	}
	if resp := get(a.token(t, "nurse-kim", auth.RoleReception)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a stream after shutdown: %d", resp.StatusCode)
	}
}

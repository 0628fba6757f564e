package main

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// TestFrozenStoreFailsFast: the event store freezes under a running clinic
// (connections stay open, nothing is answered: a paused server, a network
// that drops everything). 16 clients keep booking. Each gets its first
// 503 once the store has answered nothing for the stall timeout (2 s),
// not after the 10 s call timeout, and from then on every answer is an
// immediate 503 with Retry-After: the breaker opened on those first
// failures.
func TestFrozenStoreFailsFast(t *testing.T) {
	t.Parallel()
	store, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	freezer, url := esdbtest.Freeze(t, store.URL())
	p := startClinic(t, "--esdb", url)
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	open := map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1000}
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff, open, nil); code != http.StatusOK {
		t.Fatalf("open day = %d", code)
	}
	body := map[string]any{"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet": map[string]string{"name": "Coco", "species": "dog"}, "doctorId": "dr-kim", "slot": day + "T10:00:00+09:00"}
	if code, _ := p.do(t, "POST", "/api/v1/reservations", staff, body, nil); code != http.StatusCreated {
		t.Fatalf("place before the freeze = %d", code)
	}

	freezer.Freeze()
	frozen := time.Now()
	const clients, each = 16, 3
	first := make([]time.Duration, clients) // since the freeze
	var later []time.Duration               // each answer after a client's first
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for n := range each {
				start := time.Now()
				code, hdr := p.do(t, "POST", "/api/v1/reservations", staff, body, nil)
				took := time.Since(start)
				if code != http.StatusServiceUnavailable {
					t.Errorf("client %d, request %d with the store frozen = %d, want 503", i, n, code)
				}
				if s, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("Retry-After = %q", hdr.Get("Retry-After"))
				}
				mu.Lock()
				if n == 0 {
					first[i] = time.Since(frozen)
				} else {
					later = append(later, took)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sort.Slice(first, func(i, j int) bool { return first[i] < first[j] })
	sort.Slice(later, func(i, j int) bool { return later[i] < later[j] })
	median, slowest := later[len(later)/2], later[len(later)-1]
	t.Logf("store frozen, %d clients: first 503s after %v .. %v; the %d answers after them took %v (median) .. %v",
		clients, first[0].Round(time.Millisecond), first[clients-1].Round(time.Millisecond),
		len(later), median.Round(time.Microsecond), slowest.Round(time.Microsecond))
	if first[clients-1] > 5*time.Second {
		t.Errorf("the last client's first 503 came %v after the freeze: each waited out the call timeout", first[clients-1])
	}
	// Generous bounds for a shared 2-core machine under -race (measured:
	// a median of 24 ms, and 0.95 s at a load average of 40): an open
	// breaker answers without the store; before it, calls waited 10 s and
	// more each.
	if median > time.Second || slowest > 5*time.Second {
		t.Errorf("answers after the breaker opened took %v (median) .. %v, want well under a second", median, slowest)
	}
}

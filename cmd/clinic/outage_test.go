package main

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/vetclinic/clinic/eventstore"
)

// TestStoreOutage stops the event store under a running clinic: commands
// fail fast with 503 and Retry-After (never 500, never hanging), /readyz
// says unavailable, and once the store is back on the same address and data
// the clinic recovers by itself.
func TestStoreOutage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	store, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := store.Addr()
	t.Cleanup(func() { store.Close() })
	p := startClinic(t, "--esdb", store.URL())
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	open := map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1000}
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff, open, nil); code != http.StatusOK {
		t.Fatalf("open day = %d", code)
	}
	n := 0
	var prob problemBody
	place := func() (int, http.Header) {
		t.Helper()
		prob = problemBody{}
		n++
		body := map[string]any{"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
			"pet": map[string]string{"name": "Coco", "species": "dog"}, "doctorId": "dr-kim", "slot": day + "T10:00:00+09:00"}
		return p.do(t, "POST", "/api/v1/reservations", staff, body, &prob)
	}
	if code, _ := place(); code != http.StatusCreated {
		t.Fatalf("place before the outage = %d", code)
	}

	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 8 { // enough to open the breaker; each must be a quick 503
		start := time.Now()
		code, hdr := place()
		if code != http.StatusServiceUnavailable {
			t.Fatalf("place #%d during the outage = %d, want 503", i, code)
		}
		if s, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("Retry-After = %q", hdr.Get("Retry-After"))
		}
		t.Logf("503 #%d after %v", i, time.Since(start).Round(time.Millisecond))
	}
	if code, _ := p.do(t, "GET", "/readyz", "", nil, nil); code != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage = %d", code)
	}

	store, err = eventstore.Start(ctx, addr, eventstore.Options{Dir: dir})
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	// No signal tells us when the breaker half-opens; poll, bounded.
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _ := place()
		if code == http.StatusCreated {
			break
		}
		if code != http.StatusServiceUnavailable {
			t.Fatalf("place #%d while recovering = %d %+v, want 503 or 201", n, code, prob)
		}
		if time.Now().After(deadline) {
			t.Fatal("the clinic did not recover within a minute of the store's return")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _ := p.do(t, "GET", "/readyz", "", nil, nil); code != http.StatusOK {
		t.Errorf("readyz after recovery = %d", code)
	}
}

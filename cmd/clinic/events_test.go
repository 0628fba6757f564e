package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEventStreamFollowsTheReadSide: on a clinic started through run, a
// staff member's event stream tells the visits read model's commit of a
// booking made after it opened (fed by the projector's commits in the same
// process), and a shutdown with the stream open ends it at once rather
// than after the shutdown grace.
func TestEventStreamFollowsTheReadSide(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--roles", "command,query,projector", "--shutdown-grace", "20s")
	staff := p.token(t, "reception", "nurse-kim")
	req, err := http.NewRequestWithContext(t.Context(), "GET", p.base+"/api/v1/events/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+staff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	type commit struct {
		ReadModel string `json:"readModel"`
		Position  uint64 `json:"position"`
	}
	commits := make(chan commit, 100)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var c commit
				if err := json.Unmarshal([]byte(data), &c); err == nil {
					commits <- c
				}
			}
		}
	}()

	day := workingDays(t, 1)[0]
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil); code != 200 {
		t.Fatalf("open day: %d", code)
	}
	var placed struct{ Position uint64 }
	if code, _ := p.do(t, "POST", "/api/v1/reservations", staff, map[string]any{
		"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet":      map[string]string{"name": "Coco", "species": "dog"},
		"doctorId": "dr-kim", "slot": day + "T10:00:00+09:00"}, &placed); code != http.StatusCreated {
		t.Fatalf("place: %d", code)
	}
	deadline := time.After(10 * time.Second)
	for found := false; !found; {
		select {
		case c := <-commits:
			found = c.ReadModel == "visits" && c.Position >= placed.Position
		case <-deadline:
			t.Fatalf("no commit of visits at %d on the stream", placed.Position)
		}
	}

	start := time.Now()
	if err := p.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open after the server stopped")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopping with a stream open took %s: the stream held the shutdown", d)
	}
}

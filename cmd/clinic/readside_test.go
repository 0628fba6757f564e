package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestReadSideEndToEnd runs the command, query and projector roles in one
// process: a booking is visible to its customer (read-your-writes through
// minPosition), invisible to another, and the CLI finds the serving
// process through the data folder.
func TestReadSideEndToEnd(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--roles", "command,query,projector")
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 2}, nil); code != 200 {
		t.Fatalf("open day: %d", code)
	}
	var placed struct {
		ID       string `json:"id"`
		Position uint64 `json:"position"`
	}
	code, _ := p.do(t, "POST", "/api/v1/reservations", staff, map[string]any{
		"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet":      map[string]string{"name": "Coco", "species": "dog"},
		"doctorId": "dr-kim", "slot": day + "T10:00:00+09:00", "reason": "vaccination"}, &placed)
	if code != http.StatusCreated {
		t.Fatalf("place: %d", code)
	}

	jackson := p.token(t, "customer", "+82 10 1234 5678")
	var got struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		ViewPosition uint64 `json:"viewPosition"`
		Pet          struct{ Name string }
	}
	path := fmt.Sprintf("/api/v1/lookup/reservations/%s?minPosition=%d", placed.ID, placed.Position)
	if code, _ := p.do(t, "GET", path, jackson, nil, &got); code != 200 || got.Status != "booked" || got.Pet.Name != "Coco" || got.ViewPosition < placed.Position {
		t.Fatalf("customer lookup right after booking: %d %+v", code, got)
	}
	mina := p.token(t, "customer", "010-9999-0000")
	if code, _ := p.do(t, "GET", path, mina, nil, nil); code != http.StatusNotFound {
		t.Errorf("another customer: %d, want 404", code)
	}
	var avail struct {
		Data struct {
			Slots []struct{ Free, Booked int }
		}
	}
	if code, _ := p.do(t, "GET", fmt.Sprintf("/api/v1/doctors/dr-kim/days/%s/availability?minPosition=%d", day, placed.Position), staff, nil, &avail); code != 200 || len(avail.Data.Slots) == 0 {
		t.Errorf("availability: %d %+v", code, avail)
	}

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"projections", "status", "--data", p.data}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("clinic projections status: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"lookup~1", "ledger~1", "availability~1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %s:\n%s", want, out.String())
		}
	}
}

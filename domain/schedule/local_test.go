package schedule

import (
	"strings"
	"testing"
	"time"
)

// TestErrorsNameSlotsInTheClinicsZone: a booking made in local time is
// refused with the slot in local time, not as a UTC instant.
func TestErrorsNameSlotsInTheClinicsZone(t *testing.T) {
	t.Parallel()
	s := New("dr-kim", day)
	s.Apply(opened(std, 18), booked(nine, resB, 1, 1))
	for name, err := range map[string]error{
		"taken": func() error { _, err := s.Book(nine, resA, now, "nurse"); return err }(),
		"past":  func() error { _, err := s.Book(nine3, resA, nine3.Add(time.Hour), "nurse"); return err }(),
		"off the grid": func() error {
			_, err := s.Book(nine.Add(10*time.Minute), resA, now, "nurse")
			return err
		}(),
	} {
		if err == nil || !strings.Contains(err.Error(), "2026-12-01T09:") || !strings.Contains(err.Error(), "+09:00") {
			t.Errorf("%s: %v; want the slot in Seoul time (2026-12-01T09:..+09:00)", name, err)
		}
	}
}

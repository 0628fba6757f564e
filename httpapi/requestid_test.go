package httpapi

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestRequestIDIsKeptOrMade: a plain caller's X-Request-Id is echoed and
// logged; a missing, overlong or line-forging one is replaced by a UUID.
func TestRequestIDIsKeptOrMade(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"plain", "req-1.a_b:c", true},
		{"none", "", false},
		{"too long", strings.Repeat("a", 129), false},
		{"forges a line", "x\" level=ERROR msg=\"forged", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			s := New(Config{Verifier: newTestAuth(t).verifier, Logger: newTextLogger(&logs)})
			var hdr []string
			if tc.sent != "" {
				hdr = []string{"X-Request-Id", tc.sent}
			}
			_, h, _ := rawCall(t, s, "GET", "/healthz", "", "", hdr...)
			got := h.Get("X-Request-Id")
			if tc.kept && got != tc.sent {
				t.Errorf("X-Request-Id = %q, want %q echoed", got, tc.sent)
			}
			if _, err := uuid.Parse(got); !tc.kept && err != nil {
				t.Errorf("X-Request-Id = %q, want a new UUID", got)
			}
			if !strings.Contains(logs.String(), "request_id="+got) {
				t.Errorf("log lacks request_id=%s: %s", got, logs.String())
			}
		})
	}
}

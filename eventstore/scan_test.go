package eventstore

import (
	"math"
	"testing"
)

// A filtered catch-up over events that all fail the filter collects only
// checkpoints; the step must still end after stepEvents messages, or a
// checkpoint interval of 1 over a long log holds one message per event.
func TestStepBoundsCheckpoints(t *testing.T) {
	t.Parallel()
	var out batchOut
	out.reset(math.MaxUint64)
	for i := range stepEvents {
		if out.full() {
			t.Fatalf("full after %d checkpoints, want %d", i, stepEvents)
		}
		out.addCheckpoint(uint64(i + 1))
	}
	if !out.full() {
		t.Fatalf("not full after %d checkpoints and no event", stepEvents)
	}
}

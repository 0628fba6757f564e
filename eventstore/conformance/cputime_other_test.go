//go:build !unix

package conformance

import "time"

// cpuTime is not measured on this system; the benchmarks then report zero
// CPU per event.
func cpuTime() time.Duration { return 0 }

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Place-reservation load over HTTP on the embedded setup:
//
//	go test -run '^$' -bench PlaceReservation -benchtime 5000x ./cmd/clinic
//
// The same load as `clinic bench place`: 64 clients, each booking its own
// doctor's days slot after slot (see loadgen.go), against the whole program
// started through run with the embedded event store.
const benchClients = 64

func BenchmarkPlaceReservation(b *testing.B) {
	cfg := filepath.Join(b.TempDir(), "bench-clinic.json")
	if err := os.WriteFile(cfg, benchClinicJSON(benchClients), 0o600); err != nil {
		b.Fatal(err)
	}
	p := startClinic(b, "--config", cfg)
	l := &placeLoad{base: p.base, token: p.token(b, "staff", "bench"), clients: benchClients,
		from: time.Now().AddDate(0, 0, 2), hc: loadHTTPClient(benchClients)}
	ctx := context.Background()
	lanes, err := l.lanes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	res := l.run(ctx, lanes, b.N, 0)
	cpu := processCPU() - cpu0
	b.StopTimer()
	b.ReportMetric(res.rate(), "reservations/s")
	b.ReportMetric(ms(res.percentile(0.50)), "p50-ms")
	b.ReportMetric(ms(res.percentile(0.99)), "p99-ms")
	b.ReportMetric(float64(res.errors), "errors")
	// CPU of the whole process (clients, server and store) per booking: on a
	// shared machine the rate depends on the neighbours, this much less.
	b.ReportMetric(ms(cpu)/float64(max(1, len(res.latencies))), "cpu-ms/op")
	b.ReportMetric(0, "ns/op") // wall time per op over 64 clients says little; the rate above is the figure
	if res.firstErr != "" {
		b.Logf("first error: %s", res.firstErr)
	}
}

// TestPlaceLoad runs the load briefly, so the generator is checked in every
// test run: clients never collide and every booking gets its 201.
func TestPlaceLoad(t *testing.T) {
	t.Parallel()
	p := startClinic(t) // the example clinic: 3 doctors, so lanes share doctors by day
	l := &placeLoad{base: p.base, token: p.token(t, "staff", "load"), clients: 8,
		from: time.Now().AddDate(0, 0, 2), hc: loadHTTPClient(8)}
	ctx := context.Background()
	lanes, err := l.lanes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := l.run(ctx, lanes, 200, 0)
	if len(res.latencies) != 200 || res.errors != 0 {
		t.Fatalf("%v", res)
	}
	if res.daysOpen < 8 {
		t.Errorf("opened %d days for 8 clients", res.daysOpen)
	}
}

// TestLoadRateCountsBookingsOnly: a failed booking request is no throughput.
func TestLoadRateCountsBookingsOnly(t *testing.T) {
	t.Parallel()
	r := loadResult{latencies: make([]time.Duration, 4), failed: 1, errors: 1, elapsed: time.Second}
	if r.rate() != 3 || !strings.HasPrefix(r.String(), "3 reservations") {
		t.Fatalf("rate %v, %s", r.rate(), r)
	}
}

func TestBenchCommand(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	err := run(context.Background(), []string{"bench", "place", "--clients", "4", "--requests", "40"}, noEnv, &out, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "40 reservations in") || !strings.Contains(out.String(), " 0 errors") {
		t.Errorf("output:\n%s", out.String())
	}
	for _, args := range [][]string{{"bench"}, {"bench", "place", "--clients", "0"}, {"bench", "place", "--from", "someday"}} {
		if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

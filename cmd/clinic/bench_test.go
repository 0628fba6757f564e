package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bench"
)

// Place-reservation load over HTTP on the embedded setup:
//
//	go test -run '^$' -bench PlaceReservation -benchtime 5000x ./cmd/clinic
//
// The same load as `clinic bench place`: 64 clients, each booking its own
// doctor's days slot after slot (see package bench), against the whole program
// started through run with the embedded event store.
const benchClients = 64

func BenchmarkPlaceReservation(b *testing.B) {
	cfg := filepath.Join(b.TempDir(), "bench-clinic.json")
	if err := os.WriteFile(cfg, bench.ClinicJSON(benchClients), 0o600); err != nil {
		b.Fatal(err)
	}
	p := startClinic(b, "--config", cfg)
	l := &bench.PlaceLoad{Base: p.base, Token: p.token(b, "staff", "bench"), Clients: benchClients,
		From: time.Now().AddDate(0, 0, 2), HTTP: bench.HTTPClient(benchClients)}
	ctx := context.Background()
	lanes, err := l.Lanes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := bench.ProcessCPU()
	res := l.Run(ctx, lanes, b.N, 0)
	cpu := bench.ProcessCPU() - cpu0
	b.StopTimer()
	b.ReportMetric(res.Rate(), "reservations/s")
	b.ReportMetric(bench.MS(res.Percentile(0.50)), "p50-ms")
	b.ReportMetric(bench.MS(res.Percentile(0.99)), "p99-ms")
	b.ReportMetric(float64(res.Errors), "errors")
	// CPU of the whole process (clients, server and store) per booking: on a
	// shared machine the rate depends on the neighbours, this much less.
	b.ReportMetric(bench.MS(cpu)/float64(max(1, len(res.Latencies))), "cpu-ms/op")
	b.ReportMetric(0, "ns/op") // wall time per op over 64 clients says little; the rate above is the figure
	if res.FirstErr != "" {
		b.Logf("first error: %s", res.FirstErr)
	}
}

// TestPlaceLoad runs the load briefly, so the generator is checked in every
// test run: clients never collide and every booking gets its 201.
func TestPlaceLoad(t *testing.T) {
	t.Parallel()
	p := startClinic(t) // the example clinic: 3 doctors, so lanes share doctors by day
	l := &bench.PlaceLoad{Base: p.base, Token: p.token(t, "staff", "load"), Clients: 8,
		From: time.Now().AddDate(0, 0, 2), HTTP: bench.HTTPClient(8)}
	ctx := context.Background()
	lanes, err := l.Lanes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := l.Run(ctx, lanes, 200, 0)
	if len(res.Latencies) != 200 || res.Errors != 0 {
		t.Fatalf("%v", res)
	}
	if res.DaysOpen < 8 {
		t.Errorf("opened %d days for 8 clients", res.DaysOpen)
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

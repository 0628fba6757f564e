package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bench"
)

// Place-reservation load over HTTP, `clinic serve` started as a child
// process (this test binary acting as the clinic binary, see main_test.go)
// and booked from this process:
//
//	go test -run '^$' -bench PlaceReservation -benchtime 5000x ./cmd/clinic
//
// setup=all is the default `clinic serve` (every role), setup=command the
// write path alone; clinic=example is the embedded example clinic (3
// doctors: lanes share doctors by day), 64-doctors one doctor per client,
// busy-day every client booking one doctor's day (capacity 64 a slot).
const benchClients = 64

func BenchmarkPlaceReservation(b *testing.B) {
	for _, setup := range []string{"all", "command"} {
		for _, clinic := range []string{"example", "64-doctors", "busy-day"} {
			b.Run("setup="+setup+"/clinic="+clinic, func(b *testing.B) {
				o := benchPlace{binary: os.Args[0], childEnv: asClinic(), clients: benchClients, requests: b.N,
					from: time.Now().AddDate(0, 0, 2), capacity: 1}
				if setup == "command" {
					o.roles = "command"
				}
				switch clinic {
				case "64-doctors":
					o.doctors = benchClients
				case "busy-day":
					o.busyDay, o.capacity = true, benchClients
				}
				b.ResetTimer()
				rep, err := placeBench(context.Background(), o, io.Discard)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rep.Rate(), "bookings/s")
				b.ReportMetric(bench.MS(rep.Percentile(0.50)), "p50-ms")
				b.ReportMetric(bench.MS(rep.Percentile(0.99)), "p99-ms")
				b.ReportMetric(float64(rep.Errors), "errors")
				// The server's CPU per booking (/proc), and the profile's by
				// role: on a shared machine the rate depends on the
				// neighbours, these much less.
				b.ReportMetric(rep.PerBooking(rep.ServerCPU), "cpu-ms/booking")
				for _, r := range bench.ReportRoles() {
					b.ReportMetric(rep.PerBooking(rep.Roles[r]), r+"-cpu-ms/booking")
				}
				b.ReportMetric(0, "ns/op") // wall time per op over 64 clients says little; the rate is the figure
			})
		}
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

// TestBenchStartsTheDefaultSetup: `clinic bench place` starts `clinic
// serve` with every role as a child process, and the profile of its load
// window has CPU under each role that works on a booking.
func TestBenchStartsTheDefaultSetup(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	o := benchPlace{binary: os.Args[0], childEnv: asClinic(), clients: 8, requests: 400, capacity: 1, from: time.Now().AddDate(0, 0, 2)}
	rep, err := placeBench(context.Background(), o, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if rep.Booked() != 400 || rep.Errors != 0 {
		t.Fatalf("%v", rep.Result)
	}
	// The load only books (POST): the query role answers no request in
	// the window, so it is not asked for here.
	for _, role := range []string{"command", "projector", "notice", "eventstore"} {
		if rep.Roles[role] <= 0 {
			t.Errorf("no CPU labelled role=%s in the profile: %v\n%s", role, rep.Roles, out.String())
		}
	}
	if rep.ServerCPU <= 0 || !strings.Contains(out.String(), "server (roles all) CPU") {
		t.Errorf("server CPU %v; output:\n%s", rep.ServerCPU, out.String())
	}
}

// TestBenchBusyDay: every client books the same doctor's day; the read
// model then holds exactly the bookings that got their 201, no slot over
// its capacity, and one more booking of a full slot is refused.
func TestBenchBusyDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := bench.StartServer(ctx, bench.ServerOptions{Binary: os.Args[0], Env: asClinic()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	token, err := benchToken(srv.Data)
	if err != nil {
		t.Fatal(err)
	}
	const capacity, clients = 3, 8
	booked := 72*capacity + 40 // the first day fills, the next takes the rest
	l := &bench.PlaceLoad{Base: srv.Base, Token: token, Clients: clients, From: time.Now().AddDate(0, 0, 2),
		HTTP: bench.HTTPClient(clients), BusyDay: true, Capacity: capacity}
	lanes, err := l.Lanes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := l.Run(ctx, lanes, booked, 0)
	if res.Booked() != booked || res.Errors != 0 || res.DaysOpen != 2 {
		t.Fatalf("%v", res)
	}
	doctor, days := l.BusyDays()
	if len(days) != 2 {
		t.Fatalf("busy days %v", days)
	}
	get := func(path string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.Base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var total int
	var full time.Time // a slot of the first day, full
	deadline := time.Now().Add(30 * time.Second)
	for total != booked && time.Now().Before(deadline) {
		total = 0
		for _, d := range days {
			var day struct {
				Data struct {
					Slots []struct {
						Start    time.Time
						Capacity int
						Booked   int
					}
				}
			}
			if code := get("/api/v1/doctors/"+doctor+"/days/"+d.Format(time.DateOnly)+"/availability", &day); code != http.StatusOK {
				t.Fatalf("availability of %s: %d", d.Format(time.DateOnly), code)
			}
			for _, s := range day.Data.Slots {
				if s.Booked > s.Capacity || s.Capacity != capacity {
					t.Fatalf("slot %v: %d booked of %d (capacity %d)", s.Start, s.Booked, s.Capacity, capacity)
				}
				total += s.Booked
				if d.Equal(days[0]) && full.IsZero() {
					full = s.Start
				}
			}
		}
		if total != booked {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if total != booked {
		t.Fatalf("the read model holds %d bookings, %d were placed", total, booked)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.Base+"/api/v1/reservations", strings.NewReader(fmt.Sprintf(
		`{"customer":{"name":"One Too Many","phone":"010-9999-0000"},"pet":{"name":"Max","species":"dog"},"doctorId":%q,"slot":%q,"reason":"checkup"}`,
		doctor, full.Format(time.RFC3339))))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a booking of a full slot: %d, want 409", resp.StatusCode)
	}
}

func TestBenchCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bench"}, {"bench", "place", "--clients", "0"}, {"bench", "place", "--from", "someday"},
		{"bench", "place", "--capacity", "1001"}, {"bench", "place", "--doctors", "-1"}, {"bench", "place", "extra"},
		{"bench", "place", "--requests", "4", "--clinic-binary", "/nonexistent/clinic"},
	} {
		if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

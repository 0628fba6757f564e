package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/bench"
)

// benchPlace is what `clinic bench place` is told.
type benchPlace struct {
	url, token, data string // a running clinic; empty url starts one
	binary           string // the clinic binary to start; empty is this one
	childEnv         []string
	roles            string // --roles of the started clinic; empty is all
	doctors          int    // 0: the example clinic; n: n doctors working every day
	busyDay          bool
	capacity         int
	clients          int
	duration         time.Duration
	requests         int
	from             time.Time
}

// benchReport is what one run measured.
type benchReport struct {
	bench.Result
	ServerCPU time.Duration // the started clinic's CPU over the run (/proc)
	Roles     bench.RoleCPU // its profile's CPU by role label over the run
}

// PerBooking is d per reservation placed.
func (r benchReport) PerBooking(d time.Duration) float64 {
	return bench.MS(d) / float64(max(1, r.Booked()))
}

// runBench runs a load benchmark: `clinic bench place` books reservations
// over HTTP from many clients, against a running clinic (--url) or against
// `clinic serve` (every role, as a user starts it) started as a child
// process on a temporary data folder.
func runBench(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "place" {
		return errors.New("bench: usage: clinic bench place [--url URL --token TOKEN | --data DIR | --roles R --doctors N --busy-day --capacity C] [--clients 64] [--duration 10s | --requests N]")
	}
	var o benchPlace
	fs := newFlagSet("bench place", stderr)
	fs.StringVar(&o.url, "url", "", "base URL of a running clinic; empty starts `clinic serve` as a child process on a temporary data folder")
	fs.StringVar(&o.token, "token", "", "staff token; empty signs one with the key in --data")
	fs.StringVar(&o.data, "data", "", "data folder whose key signs the token (default: the started clinic's)")
	fs.StringVar(&o.binary, "clinic-binary", "", "the clinic binary to start (default: this one)")
	fs.StringVar(&o.roles, "roles", "", "--roles of the started clinic (default: all, as `clinic serve` runs; command for the write path alone)")
	fs.IntVar(&o.doctors, "doctors", 0, "doctors of the started clinic, each working every day (default 0: the example clinic)")
	fs.BoolVar(&o.busyDay, "busy-day", false, "every client books the same doctor's day, slot after slot in turn")
	fs.IntVar(&o.capacity, "capacity", 0, "places per slot of each day opened, 1 to 1000 (default: 1; with --busy-day, --clients)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent HTTP clients")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to book (unless --requests)")
	fs.IntVar(&o.requests, "requests", 0, "book exactly this many reservations instead of for --duration")
	from := fs.String("from", "", "first day to book, YYYY-MM-DD (default: the day after tomorrow); days after it fill up, so use another day or fresh data to run again")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if o.clients < 1 || o.requests < 0 || (o.requests == 0 && o.duration <= 0) {
		return errors.New("bench: --clients must be positive and --duration or --requests set")
	}
	if o.doctors < 0 || o.capacity < 0 || o.capacity > 1000 {
		return errors.New("bench: --doctors must not be negative, --capacity at most 1000 (the domain's bound)")
	}
	if o.capacity == 0 {
		o.capacity = 1
		if o.busyDay {
			o.capacity = min(1000, o.clients)
		}
	}
	o.from = time.Now().AddDate(0, 0, 2)
	if *from != "" {
		var err error
		if o.from, err = time.Parse(time.DateOnly, *from); err != nil {
			return fmt.Errorf("bench: --from: %w", err)
		}
	}
	_, err := placeBench(ctx, o, stdout)
	return err
}

// placeBench runs one place-reservation load and prints what it measured.
// It returns an error when the clinic cannot start or a request failed.
func placeBench(ctx context.Context, o benchPlace, stdout io.Writer) (benchReport, error) {
	var rep benchReport
	var srv *bench.Server
	if o.url == "" {
		var cfg []byte
		if o.doctors > 0 {
			cfg = bench.ClinicJSON(o.doctors)
		}
		var err error
		if srv, err = bench.StartServer(ctx, bench.ServerOptions{Binary: o.binary, Env: o.childEnv, Roles: o.roles, Clinic: cfg}); err != nil {
			return rep, err
		}
		defer srv.Stop()
		o.url = srv.Base
		if o.data == "" {
			o.data = srv.Data
		}
	}
	if o.token == "" {
		if o.data == "" {
			return rep, errors.New("bench: give --token, or --data of the clinic whose key signs tokens")
		}
		var err error
		if o.token, err = benchToken(o.data); err != nil {
			return rep, err
		}
	}
	l := &bench.PlaceLoad{Base: strings.TrimSuffix(o.url, "/"), Token: o.token, Clients: o.clients, From: o.from,
		HTTP: bench.HTTPClient(o.clients), BusyDay: o.busyDay, Capacity: o.capacity}
	lanes, err := l.Lanes(ctx)
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	shape := fmt.Sprintf("own doctor-days, capacity %d", o.capacity)
	if o.busyDay {
		shape = fmt.Sprintf("busy day: one doctor's day, capacity %d a slot", o.capacity)
	}
	fmt.Fprintf(stdout, "booking with %d clients (%s) against %s from %s ...\n", o.clients, shape, l.Base, o.from.Format(time.DateOnly))
	var cpu0 time.Duration
	if srv != nil {
		if err := srv.StartCPUProfile(ctx); err != nil {
			return rep, err
		}
		if cpu0, err = srv.CPU(); err != nil {
			return rep, err
		}
	}
	rep.Result = l.Run(ctx, lanes, o.requests, o.duration)
	if srv != nil {
		cpu1, err := srv.CPU()
		if err != nil {
			return rep, err
		}
		rep.ServerCPU = cpu1 - cpu0
		if rep.Roles, err = srv.StopCPUProfile(ctx); err != nil {
			return rep, err
		}
	}
	fmt.Fprintln(stdout, rep.Result)
	if srv != nil {
		roles := o.roles
		if roles == "" {
			roles = "all"
		}
		fmt.Fprintf(stdout, "server (roles %s) CPU: %.3f ms per reservation; profiled %.3f ms:", roles, rep.PerBooking(rep.ServerCPU), rep.PerBooking(rep.Roles.Total()))
		for _, r := range bench.ReportRoles() {
			fmt.Fprintf(stdout, " %s %.3f", r, rep.PerBooking(rep.Roles[r]))
		}
		fmt.Fprintln(stdout)
	}
	if rep.Errors > 0 {
		return rep, fmt.Errorf("bench: %d errors", rep.Errors)
	}
	return rep, nil
}

// benchToken is a staff token signed with the key in the data folder.
func benchToken(data string) (string, error) {
	key, err := auth.LoadOrCreateKey(auth.KeyPath(data))
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	tok, err := auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now).Issue("bench", auth.RoleStaff, time.Hour)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return tok, nil
}

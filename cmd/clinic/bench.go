package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/bench"
)

// runBench runs a load benchmark: `clinic bench place` books reservations
// over HTTP from many clients, against a running clinic (--url) or against
// one it starts in this process on the embedded store.
func runBench(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "place" {
		return errors.New("bench: usage: clinic bench place [--url URL --token TOKEN | --data DIR] [--clients 64] [--duration 10s | --requests N]")
	}
	fs := newFlagSet("bench place", stderr)
	url := fs.String("url", "", "base URL of a running clinic; empty starts one in this process on the embedded store")
	token := fs.String("token", "", "staff token; empty signs one with the key in --data")
	data := fs.String("data", "", "data folder whose key signs the token (default: the started clinic's)")
	clients := fs.Int("clients", 64, "concurrent HTTP clients")
	duration := fs.Duration("duration", 10*time.Second, "how long to book (unless --requests)")
	requests := fs.Int("requests", 0, "book exactly this many reservations instead of for --duration")
	from := fs.String("from", "", "first day to book, YYYY-MM-DD (default: the day after tomorrow); days after it fill up, so use another day or fresh data to run again")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		return err
	}
	if *clients < 1 || *requests < 0 || (*requests == 0 && *duration <= 0) {
		return errors.New("bench: --clients must be positive and --duration or --requests set")
	}
	start := time.Now().AddDate(0, 0, 2)
	if *from != "" {
		var err error
		if start, err = time.Parse(time.DateOnly, *from); err != nil {
			return fmt.Errorf("bench: --from: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inProcess := *url == ""
	if inProcess {
		base, dir, stop, err := startBenchClinic(ctx, *clients, stderr)
		if err != nil {
			return err
		}
		defer stop()
		*url = base
		if *data == "" {
			*data = dir
		}
	}
	if *token == "" {
		if *data == "" {
			return errors.New("bench: give --token, or --data of the clinic whose key signs tokens")
		}
		key, err := auth.LoadOrCreateKey(auth.KeyPath(*data))
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if *token, err = auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now).Issue("bench", auth.RoleStaff, time.Hour); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	l := &bench.PlaceLoad{Base: strings.TrimSuffix(*url, "/"), Token: *token, Clients: *clients, From: start, HTTP: bench.HTTPClient(*clients)}
	lanes, err := l.Lanes(ctx)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fmt.Fprintf(stdout, "booking with %d clients against %s from %s ...\n", *clients, l.Base, start.Format(time.DateOnly))
	cpu0 := bench.ProcessCPU()
	res := l.Run(ctx, lanes, *requests, *duration)
	fmt.Fprintln(stdout, res)
	if inProcess && len(res.Latencies) > 0 {
		fmt.Fprintf(stdout, "process CPU (clients, server and store): %.3f ms per reservation\n", bench.MS(bench.ProcessCPU()-cpu0)/float64(len(res.Latencies)))
	}
	if res.Errors > 0 {
		return fmt.Errorf("bench: %d errors", res.Errors)
	}
	return nil
}

// startBenchClinic runs `clinic serve --roles command` in this process on a
// temporary data folder with a clinic of one doctor per client, working
// every day. It returns the base URL, the data folder and a stop function.
func startBenchClinic(ctx context.Context, doctors int, stderr io.Writer) (string, string, func(), error) {
	dir, err := os.MkdirTemp("", "clinic-bench-")
	if err != nil {
		return "", "", nil, err
	}
	cfgPath := filepath.Join(dir, "bench-clinic.json")
	if err := os.WriteFile(cfgPath, bench.ClinicJSON(doctors), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	cfg, err := parseServe([]string{"--listen", "127.0.0.1:0", "--data", dir, "--config", cfgPath, "--roles", "command", "--log-level", "warn"}, func(string) string { return "" }, stderr)
	if err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	addr := make(chan string, 1)
	cfg.OnListen = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, stderr) }()
	stop := func() {
		cancel()
		<-done
		os.RemoveAll(dir)
	}
	select {
	case a := <-addr:
		return "http://" + a, dir, stop, nil
	case err := <-done:
		cancel()
		os.RemoveAll(dir)
		return "", "", nil, fmt.Errorf("bench: start clinic: %w", err)
	}
}

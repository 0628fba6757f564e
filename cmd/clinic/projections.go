package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vetclinic/clinic/httpapi"
)

const projectionsUsage = `usage: clinic projections <command> [flags] [NAME]

commands:
  status                 checkpoint, head of $all, lag, parked events and last error per projection
  rebuild NAME|all       build a fresh copy from the start of $all, switch to it, drop the old one
  parked [NAME]          list parked (poison) events
  replay-parked NAME     run a projection's parked events again

The commands call the staff admin routes of a running clinic serve with the
projector role: --server, else CLINIC_SERVER, else the address the serve on
--data recorded; --token, else CLINIC_TOKEN, else a staff token signed with
the data folder's key.`

// runProjections is `clinic projections ...`: a thin client of the API's
// /api/v1/admin routes.
func runProjections(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, projectionsUsage)
		return nil
	}
	sub := args[0]
	fs := newFlagSet("projections "+sub, stderr)
	var api apiFlags
	api.register(fs)
	plain := fs.Bool("plain", false, "rebuild: print progress lines even on a terminal")
	fs.Usage = func() { fmt.Fprintln(stderr, projectionsUsage+"\n\nflags:"); fs.PrintDefaults() }
	// Flags may come before or after the projection's name.
	var positional []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional, rest = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	if err := applyEnv(fs, getenv); err != nil {
		return err
	}
	if len(positional) > 1 {
		return fmt.Errorf("projections %s: one projection at a time (got %q)", sub, positional)
	}
	switch sub {
	case "status", "parked", "replay-parked", "rebuild":
	default:
		fmt.Fprintln(stderr, projectionsUsage)
		return fmt.Errorf("projections: unknown command %q", sub)
	}
	name := ""
	if len(positional) == 1 {
		name = positional[0]
	}
	if name == "" && sub == "replay-parked" {
		return errors.New("projections replay-parked: name the projection")
	}
	if name == "" && sub == "rebuild" {
		return errors.New("projections rebuild: name the projection, or all")
	}
	c, err := api.client("clinic-projections-cli")
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	switch sub {
	case "status":
		return printStatus(ctx, c, stdout)
	case "parked":
		return printParked(ctx, c, name, stdout)
	case "replay-parked":
		n, err := c.ReplayParked(ctx, name)
		if err != nil {
			return fmt.Errorf("projections replay-parked %s: %w", name, err)
		}
		fmt.Fprintf(stdout, "%s: %d parked events replayed\n", name, n)
		return nil
	}
	names := []string{name}
	if name == "all" {
		if names, err = rebuildable(ctx, c); err != nil {
			return fmt.Errorf("projections rebuild all: %w", err)
		}
	}
	for _, n := range names {
		if err := rebuild(ctx, c, n, stdout, *plain); err != nil {
			return fmt.Errorf("projections rebuild %s: %w", n, err)
		}
	}
	return nil
}

// rebuildable returns the names of the projections the server can rebuild.
func rebuildable(ctx context.Context, c *httpapi.Client) ([]string, error) {
	sts, err := c.Projections(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range sts {
		if s.Rebuildable {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

func printStatus(ctx context.Context, c *httpapi.Client, w io.Writer) error {
	st, err := c.Projections(ctx)
	if err != nil {
		return fmt.Errorf("projections status: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECTION\tCOPY\tCHECKPOINT\tHEAD\tLAG EVENTS\tLAG SECONDS\tPARKED\tDROPS\tREBUILDING\tLAST ERROR")
	for _, s := range st {
		rebuilding := "-"
		if s.Building != "" {
			rebuilding = s.Building
		}
		lastErr := "-"
		if s.LastError != "" {
			lastErr = s.LastError
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%d\t%d\t%s\t%s\n", s.Name, s.Namespace, s.Checkpoint, s.Head,
			s.LagEvents, s.LagSeconds, s.Parked, s.Drops, rebuilding, lastErr)
	}
	return tw.Flush()
}

func printParked(ctx context.Context, c *httpapi.Client, name string, w io.Writer) error {
	ps, err := c.Parked(ctx, name)
	if err != nil {
		return fmt.Errorf("projections parked: %w", err)
	}
	if len(ps) == 0 {
		fmt.Fprintln(w, "no parked events")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBSCRIBER\tPOSITION\tEVENT\tTYPE\tSTREAM\tATTEMPTS\tPARKED AT\tERROR")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", p.Subscriber, p.Position, p.EventID, p.Type,
			p.Stream, p.Attempts, p.ParkedAt.Format(time.RFC3339), p.Error)
	}
	return tw.Flush()
}

// rebuildPoll is how often the CLI asks how a rebuild is going.
const rebuildPoll = 200 * time.Millisecond

// rebuild starts one rebuild on the server and follows it to its end, with
// a progress bar on a terminal, or a plain line every few seconds
// otherwise. Interrupting the CLI leaves the rebuild running on the server.
func rebuild(ctx context.Context, c *httpapi.Client, name string, w io.Writer, plain bool) error {
	f, isFile := w.(*os.File)
	tty := !plain && isFile && term.IsTerminal(int(f.Fd()))
	var bar *progressbar.ProgressBar
	if tty {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("rebuild "+name),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	}
	start := time.Now()
	r, err := c.StartRebuild(ctx, name)
	if err != nil {
		return err
	}
	lastLine, printedSwitch := time.Time{}, false
	tick := time.NewTicker(rebuildPoll)
	defer tick.Stop()
	for {
		p := r.Progress
		switch {
		case bar != nil:
			if p.Head > 0 && bar.GetMax64() != int64(p.Head) {
				bar.ChangeMax64(int64(p.Head))
			}
			bar.Describe(fmt.Sprintf("rebuild %s: %d events folded, $all position", name, p.Events))
			bar.Set64(int64(p.Position))
		case !printedSwitch && (time.Since(lastLine) >= 2*time.Second || p.Switched): // quiet during the old copy's grace
			printedSwitch = p.Switched
			lastLine = time.Now()
			fmt.Fprintln(w, progressLine(name, p, time.Since(start)))
		}
		if r.Finished() {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped following it; it goes on in clinic serve (see clinic projections status): %w", ctx.Err())
		case <-tick.C:
		}
		if r, err = c.Rebuild(ctx, name); err != nil {
			return err
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if r.State != "done" {
		return fmt.Errorf("failed in clinic serve: %s", r.Error)
	}
	took := r.FinishedAt.Sub(r.StartedAt)
	if r.SwitchedAt != nil {
		took = r.SwitchedAt.Sub(r.StartedAt) // as before: the time to the switch, not the old copy's grace
	}
	fmt.Fprintf(w, "rebuild %s: switched to %s after %d events in %s (old copy dropped)\n", name, r.Progress.Namespace, r.Progress.Events, took.Round(time.Millisecond))
	return nil
}

func progressLine(name string, p httpapi.RebuildProgress, elapsed time.Duration) string {
	rate := float64(p.Events) / max(elapsed.Seconds(), 0.001)
	if p.Head == 0 || p.Position >= p.Head {
		return fmt.Sprintf("rebuild %s: %d events, %.0f events/s", name, p.Events, rate)
	}
	frac := float64(p.Position) / float64(p.Head)
	eta := time.Duration(elapsed.Seconds() * (1 - frac) / max(frac, 0.0001) * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("rebuild %s: %d events, $all position %d of %d (%.0f%%), %.0f events/s, eta %s", name, p.Events,
		p.Position, p.Head, 100*frac, rate, eta)
}

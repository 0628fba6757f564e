package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vetclinic/clinic/projections"
)

const projectionsUsage = `usage: clinic projections <command> [flags] [NAME]

commands:
  status                 checkpoint, head of $all, lag, parked events and last error per projection
  rebuild NAME|all       build a fresh copy from the start of $all, switch to it, drop the old one
  parked [NAME]          list parked (poison) events
  replay-parked NAME     run a projection's parked events again

On the embedded setup (--data) the commands go through the running clinic serve;
with --esdb and --mongo they work on the real servers directly.`

// runProjections is `clinic projections ...`.
func runProjections(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, projectionsUsage)
		return nil
	}
	sub := args[0]
	fs := newFlagSet("projections "+sub, stderr)
	data := fs.String("data", "./data", "data folder of a running clinic serve (embedded setup)")
	esdbURL := fs.String("esdb", "", "EventStoreDB connection string (with --mongo: work on the servers directly)")
	mongoURL := fs.String("mongo", "", "MongoDB connection string of the read models")
	mongoDB := fs.String("mongo-db", "clinic", "MongoDB database of the read models")
	configPath := fs.String("config", "", "clinic configuration file (for its time zone); empty uses the example clinic")
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
	admin, closeAdmin, err := connectAdmin(ctx, *data, *esdbURL, *mongoURL, *mongoDB, *configPath, stderr)
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	defer closeAdmin()
	name := ""
	if len(positional) == 1 {
		name = positional[0]
	}
	switch sub {
	case "status":
		return printStatus(ctx, admin, stdout)
	case "parked":
		return printParked(ctx, admin, name, stdout)
	case "replay-parked":
		if name == "" {
			return errors.New("projections replay-parked: name the projection")
		}
		n, err := admin.ReplayParked(ctx, name)
		if err != nil {
			return fmt.Errorf("projections replay-parked %s: %w", name, err)
		}
		fmt.Fprintf(stdout, "%s: %d parked events replayed\n", name, n)
		return nil
	case "rebuild":
		if name == "" {
			return errors.New("projections rebuild: name the projection, or all")
		}
		names := []string{name}
		if name == "all" {
			names = admin.Names()
		}
		for _, n := range names {
			if err := rebuild(ctx, admin, n, stdout, *plain); err != nil {
				return fmt.Errorf("projections rebuild %s: %w", n, err)
			}
		}
		return nil
	}
	fmt.Fprintln(stderr, projectionsUsage)
	return fmt.Errorf("projections: unknown command %q", sub)
}

// connectAdmin works directly on real servers when --mongo is given, and
// through the running clinic serve otherwise.
func connectAdmin(ctx context.Context, data, esdbURL, mongoURL, mongoDB, configPath string, stderr io.Writer) (projectionAdmin, func(), error) {
	if mongoURL == "" {
		a, err := dialAdmin(data)
		return a, func() {}, err
	}
	if esdbURL == "" {
		return nil, nil, errors.New("--mongo needs --esdb too")
	}
	cl, err := loadClinic(configPath)
	if err != nil {
		return nil, nil, err
	}
	c, err := connectESDB(esdbURL)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rs, err := openReadSide(ctx, data, mongoURL, mongoDB, c, cl.Location, log)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return &localAdmin{rs: rs, projs: readModels(cl.Location), log: log}, func() { rs.close(); c.Close() }, nil
}

func printStatus(ctx context.Context, a projectionAdmin, w io.Writer) error {
	st, err := a.Status(ctx)
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

func printParked(ctx context.Context, a projectionAdmin, name string, w io.Writer) error {
	ps, err := a.Parked(ctx, name)
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
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", p.Subscriber, p.Event.Position.Commit, p.Event.ID, p.Event.Type,
			p.Event.Stream, p.Attempts, p.ParkedAt.Format(time.RFC3339), p.Error)
	}
	return tw.Flush()
}

// rebuild runs one rebuild with a progress bar on a terminal, or a plain
// line every few seconds otherwise.
func rebuild(ctx context.Context, a projectionAdmin, name string, w io.Writer, plain bool) error {
	f, isFile := w.(*os.File)
	tty := !plain && isFile && term.IsTerminal(int(f.Fd()))
	start := time.Now()
	var bar *progressbar.ProgressBar
	if tty {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("rebuild "+name),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	}
	lastLine := time.Time{}
	var last projections.Progress
	var switched time.Duration
	err := a.Rebuild(ctx, name, func(p projections.Progress) {
		last = p
		if p.Switched && switched == 0 {
			switched = time.Since(start)
		}
		if bar != nil {
			if p.Head > 0 && bar.GetMax64() != int64(p.Head) {
				bar.ChangeMax64(int64(p.Head))
			}
			bar.Describe(fmt.Sprintf("rebuild %s: %d events folded, $all position", name, p.Done))
			bar.Set64(int64(p.Position))
			return
		}
		if time.Since(lastLine) >= 2*time.Second || p.Switched {
			lastLine = time.Now()
			fmt.Fprintln(w, progressLine(name, p, time.Since(start)))
		}
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "rebuild %s: switched to %s after %d events in %s (old copy dropped)\n", name, last.Namespace, last.Done, switched.Round(time.Millisecond))
	return nil
}

func progressLine(name string, p projections.Progress, elapsed time.Duration) string {
	rate := float64(p.Done) / max(elapsed.Seconds(), 0.001)
	if p.Head == 0 || p.Position >= p.Head {
		return fmt.Sprintf("rebuild %s: %d events, %.0f events/s", name, p.Done, rate)
	}
	frac := float64(p.Position) / float64(p.Head)
	eta := time.Duration(elapsed.Seconds() * (1 - frac) / max(frac, 0.0001) * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("rebuild %s: %d events, $all position %d of %d (%.0f%%), %.0f events/s, eta %s", name, p.Done,
		p.Position, p.Head, 100*frac, rate, eta)
}

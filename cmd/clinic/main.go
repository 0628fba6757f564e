// Command clinic is the animal-hospital backend: the staff command API, the
// customers' query API, the projectors, the notice service and an embedded
// EventStoreDB-compatible event store, in one binary.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "clinic:", err)
		os.Exit(1)
	}
}

// env looks up an environment variable; tests pass their own.
type env func(string) string

// command is one subcommand. It parses its own flags (with CLINIC_* fallbacks
// read through getenv) and runs until ctx is done or its work is finished.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the clinic (command API, query API, projectors, notices)", runServe},
		{"token", "print a signed token for the embedded setup", runToken},
		{"eventstore", "the embedded event store (eventstore serve)", runEventstore},
		{"projections", "projection status, rebuild, parked events", runProjections},
		{"notices", "messages sent to customers: list, retry-dead", runNotices},
		{"healthcheck", "probe a running clinic (the image's HEALTHCHECK)", runHealthcheck},
		{"bench", "load benchmarks (bench place: book reservations over HTTP)", runBench},
	}
}

// run is the whole program; main only calls it.
func run(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: clinic <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'clinic <command> -h' for a command's flags.")
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/vetclinic/clinic/eventstore"
)

// runEventstore runs "clinic eventstore serve": the embedded event store on
// its own, until ctx is done (SIGINT/SIGTERM).
func runEventstore(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprintln(stderr, "usage: clinic eventstore serve [--listen 127.0.0.1:2113] [--data ./data/events]")
		return errors.New("eventstore: unknown or missing subcommand")
	}
	fs := newFlagSet("eventstore serve", stderr)
	listen := fs.String("listen", "127.0.0.1:2113", "address to serve the EventStoreDB gRPC protocol on (plaintext)")
	data := fs.String("data", "./data/events", "data directory")
	maxAppend := fs.Int("max-append-size", eventstore.DefaultMaxAppendSize, "largest append in bytes")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := eventstore.Start(ctx, *listen, eventstore.Options{Dir: *data, Logger: log, MaxAppendSize: *maxAppend})
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("event store stopping")
	return srv.Close()
}

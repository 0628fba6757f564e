// Package storetest gives tests an event store to talk to: the real server
// named by ESDB_URL, or else an embedded server on a random loopback port
// with its data in a temporary directory. It links no client, so tests that
// use the EventStoreDB v4 client and tests that use the KurrentDB client
// (whose generated protobuf packages cannot share a program) both use it;
// esdbtest adds the v4 client on top.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/vetclinic/clinic/eventstore"
)

// EnvURL names the environment variable that points the tests at a real
// server, for instance "esdb://127.0.0.1:2113?tls=false".
const EnvURL = "ESDB_URL"

// External reports whether the tests run against a real server (ESDB_URL set)
// rather than the embedded one.
func External() bool { return os.Getenv(EnvURL) != "" }

// URL returns the connection string of a server for t: ESDB_URL when set,
// else a fresh embedded server that is closed when t ends.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	srv, err := eventstore.Start(context.Background(), "127.0.0.1:0", eventstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start embedded event store: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close embedded event store: %v", err)
		}
	})
	return srv.URL()
}

// Serve is URL for code that has no testing.TB yet, such as TestMain: it
// returns ESDB_URL when set, else the URL of an embedded server with its data
// in a new temporary directory. stop closes the server and removes the
// directory; it must be called once. The error is the server's start error.
func Serve(ctx context.Context) (url string, stop func() error, err error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, func() error { return nil }, nil
	}
	dir, err := os.MkdirTemp("", "esdbtest-")
	if err != nil {
		return "", nil, fmt.Errorf("storetest: temporary directory: %w", err)
	}
	srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir})
	if err != nil {
		return "", nil, errors.Join(fmt.Errorf("storetest: start embedded event store: %w", err), os.RemoveAll(dir))
	}
	stop = func() error {
		return errors.Join(srv.Close(), os.RemoveAll(dir))
	}
	return srv.URL(), stop, nil
}

// Package esdbtest gives tests an EventStoreDB to talk to through the official
// client: the real server named by ESDB_URL, or else an embedded server on a
// random loopback port with its data in a temporary directory.
package esdbtest

import (
	"context"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/eventstore/storetest"
)

// EnvURL names the environment variable that points the tests at a real
// server, for instance "esdb://127.0.0.1:2113?tls=false".
const EnvURL = storetest.EnvURL

// External reports whether the tests run against a real server (ESDB_URL set)
// rather than the embedded one.
func External() bool { return storetest.External() }

// URL returns the connection string of a server for t: ESDB_URL when set,
// else a fresh embedded server that is closed when t ends.
func URL(t testing.TB) string {
	t.Helper()
	return storetest.URL(t)
}

// Serve is storetest.Serve: ESDB_URL, or an embedded server for TestMain.
func Serve(ctx context.Context) (url string, stop func() error, err error) {
	return storetest.Serve(ctx)
}

// Client returns an official client connected to URL(t), closed when t ends.
func Client(t testing.TB) *esdb.Client {
	t.Helper()
	return Connect(t, URL(t))
}

// Connect returns an official client for url, closed when t ends. The
// client's own logging is switched off: it prints every dropped subscription
// and failed call, which tests provoke on purpose.
func Connect(t testing.TB, url string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		t.Fatalf("parse %q: %v", url, err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

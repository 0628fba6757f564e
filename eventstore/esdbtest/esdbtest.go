// Package esdbtest gives tests an EventStoreDB to talk to through the official
// client: the real server named by ESDB_URL, or else an embedded server on a
// random loopback port with its data in a temporary directory.
package esdbtest

import (
	"context"
	"os"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/eventstore"
)

// URL returns the connection string of a server for t: ESDB_URL when set,
// else a fresh embedded server that is closed when t ends.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("ESDB_URL"); u != "" {
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

// Client returns an official client connected to URL(t), closed when t ends.
func Client(t testing.TB) *esdb.Client {
	t.Helper()
	return Connect(t, URL(t))
}

// Connect returns an official client for url, closed when t ends.
func Connect(t testing.TB, url string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		t.Fatalf("parse %q: %v", url, err)
	}
	c, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

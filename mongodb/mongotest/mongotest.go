// Package mongotest gives tests a MongoDB-wire server: the real MongoDB named
// by MONGO_URL, or else FerretDB on SQLite embedded in the test binary (a
// wire-protocol peer for correctness, not a store to measure).
package mongotest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// newMu serialises ferretdb.New, which writes a package global.
var newMu sync.Mutex

// URL returns the connection string of a server for t: MONGO_URL when set,
// else an embedded FerretDB stopped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("MONGO_URL"); u != "" {
		return u
	}
	dir := t.TempDir()
	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    slog.New(slog.DiscardHandler),
	})
	newMu.Unlock()
	if err != nil {
		t.Fatalf("start ferretdb: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	// Registered before any client's Disconnect, so it runs after them.
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return f.MongoDBURI()
}

// Database returns a fresh database (unique name) on URL(t); its client is
// disconnected when t ends.
func Database(t testing.TB) *mongo.Database {
	t.Helper()
	url := URL(t)
	client, err := mongo.Connect(options.Client().ApplyURI(url))
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	name := fmt.Sprintf("t%s", uuid.NewString()[:8])
	t.Cleanup(func() {
		ctx := context.Background()
		if os.Getenv("MONGO_URL") != "" {
			client.Database(name).Drop(ctx)
		}
		client.Disconnect(ctx)
	})
	return client.Database(name)
}

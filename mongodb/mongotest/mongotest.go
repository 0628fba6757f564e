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

// shared is the one embedded FerretDB of a test binary. ferretdb.New
// writes package globals, and two instances in one process broke each
// other's connections, so every test shares one server (each with its own
// database) and it lives as long as the process.
var shared struct {
	once sync.Once
	url  string
	err  error
}

// URL returns the connection string of a server for t: MONGO_URL when set,
// else the test binary's embedded FerretDB.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("MONGO_URL"); u != "" {
		return u
	}
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "ferretdb-")
		if err != nil {
			shared.err = err
			return
		}
		f, err := ferretdb.New(&ferretdb.Config{
			Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
			Handler:   "sqlite",
			SQLiteURL: "file:" + dir + "/",
			Logger:    slog.New(slog.DiscardHandler),
		})
		if err != nil {
			shared.err = err
			return
		}
		go f.Run(context.Background())
		shared.url = f.MongoDBURI()
	})
	if shared.err != nil {
		t.Fatalf("start ferretdb: %v", shared.err)
	}
	return shared.url
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

package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/mongodb"
	"github.com/vetclinic/clinic/projections"
)

// readSide is the read store and $all source a process's query, projector
// and notice roles share (bbolt allows one opener per process and file).
type readSide struct {
	store   projections.Store
	source  projections.Source
	loc     *time.Location
	manager *projections.Manager // set by the projector role
	keeper  *projections.Keeper  // the process's leases, when the store keeps them (leases.go)
	closers []func() error
}

// readDir is where the embedded read store keeps its file and the admin
// address of the serving process.
func readDir(data string) string { return filepath.Join(data, "read") }

// openReadSide opens the read store: MongoDB when mongoURL is set, else
// bbolt in <data>/read.
func openReadSide(ctx context.Context, data, mongoURL, mongoDB string, c *esdbclient.Client, loc *time.Location, log *slog.Logger) (*readSide, error) {
	rs := &readSide{source: esdb.Source{Client: c}, loc: loc}
	if mongoURL != "" {
		store, disconnect, err := mongodb.Connect(ctx, mongoURL, mongoDB)
		if err != nil {
			return nil, err
		}
		rs.store = store
		rs.closers = append(rs.closers, func() error { return disconnect(context.Background()) })
		log.Info("read models in MongoDB", "database", mongoDB)
		return rs, nil
	}
	dir := readDir(data)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("read store folder: %w", err)
	}
	store, err := bolt.OpenWith(filepath.Join(dir, "read.db"), bolt.Options{Timeout: 5 * time.Second, Logger: log})
	if err != nil {
		if inUse := dataInUse(data, err); inUse != nil {
			return nil, inUse
		}
		return nil, err
	}
	rs.store = store
	rs.closers = append(rs.closers, store.Close)
	log.Info("read models in the embedded store", "file", filepath.Join(dir, "read.db"))
	return rs, nil
}

func (rs *readSide) close() error {
	var errs []error
	for i := len(rs.closers) - 1; i >= 0; i-- {
		errs = append(errs, rs.closers[i]())
	}
	return errors.Join(errs...)
}

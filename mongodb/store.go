// Package mongodb is the production read store: projections.Store on
// MongoDB through the official v2 driver. It needs no multi-document
// transaction and no collection rename to be correct: every document write
// is guarded by the position of the last event folded into it (a stale or
// repeated write matches nothing), the checkpoint is written after the
// documents, and rebuilt copies are switched by a pointer document. It also
// runs unchanged on MongoDB-wire peers such as FerretDB.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/vetclinic/clinic/projections"
)

// Collections outside the namespaces.
const (
	collCheckpoints = "checkpoints"
	collGenerations = "generations"
	collParked      = "parked"
)

// Store is a projections.Store in one MongoDB database. Each namespace's
// collection coll lives in the MongoDB collection "<ns>.<coll>".
type Store struct {
	db  *mongo.Database
	now func() time.Time // the leases' clock
}

var _ projections.LeaseStore = (*Store)(nil)

// Options configures a Store. Zero values mean the defaults.
type Options struct {
	// Now is the leases' clock; default time.Now. Replicas compare lease
	// expiries written by each other's clocks, so keep them in step (NTP)
	// to well within the lease TTL.
	Now func() time.Time
}

// New returns a store on database db.
func New(db *mongo.Database) *Store { return NewWith(db, Options{}) }

// NewWith returns a store on database db with options.
func NewWith(db *mongo.Database, o Options) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{db: db, now: o.Now}
}

// Connect opens a client for url and returns the store on database name,
// and a function that disconnects.
func Connect(ctx context.Context, url, name string) (*Store, func(context.Context) error, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(url))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to mongodb: %w", err)
	}
	if err := client.Ping(ctx, nil); err != nil {
		client.Disconnect(ctx)
		return nil, nil, fmt.Errorf("ping mongodb: %w", err)
	}
	return New(client.Database(name)), client.Disconnect, nil
}

func collName(ns, coll string) string { return ns + "." + coll }

type docRecord struct {
	ID  string            `bson:"_id"`
	Pos string            `bson:"pos"`
	K   map[string]string `bson:"k,omitempty"`
	D   bson.Raw          `bson:"d"`
}

// Get implements projections.Store.
func (s *Store) Get(ctx context.Context, ns, coll, id string) (projections.Doc, bool, error) {
	var r docRecord
	err := s.db.Collection(collName(ns, coll)).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return projections.Doc{}, false, nil
	}
	if err != nil {
		return projections.Doc{}, false, fmt.Errorf("get %s/%s/%s: %w", ns, coll, id, err)
	}
	d, err := r.doc()
	if err != nil {
		return projections.Doc{}, false, fmt.Errorf("get %s/%s/%s: %w", ns, coll, id, err)
	}
	return d, true, nil
}

func (r docRecord) doc() (projections.Doc, error) {
	p, err := projections.ParsePositionKey(r.Pos)
	if err != nil {
		return projections.Doc{}, err
	}
	body, err := bson.MarshalExtJSON(r.D, false, false)
	if err != nil {
		return projections.Doc{}, fmt.Errorf("body of %s: %w", r.ID, err)
	}
	return projections.Doc{ID: r.ID, Position: p, Keys: r.K, Body: body}, nil
}

// Find implements projections.Store.
func (s *Store) Find(ctx context.Context, ns, coll, key, value string, limit int) ([]projections.Doc, error) {
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := s.db.Collection(collName(ns, coll)).Find(ctx, bson.D{{Key: "k." + key, Value: value}}, opts)
	if err != nil {
		return nil, fmt.Errorf("find %s/%s %s=%q: %w", ns, coll, key, value, err)
	}
	var recs []docRecord
	if err := cur.All(ctx, &recs); err != nil {
		return nil, fmt.Errorf("find %s/%s %s=%q: %w", ns, coll, key, value, err)
	}
	out := make([]projections.Doc, 0, len(recs))
	for _, r := range recs {
		d, err := r.doc()
		if err != nil {
			return nil, fmt.Errorf("find %s/%s: %w", ns, coll, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// EnsureIndexes implements projections.Store: one ascending index per key,
// created one at a time (FerretDB drops the connection when a createIndexes
// with several indexes meets ones that already exist).
func (s *Store) EnsureIndexes(ctx context.Context, ns, coll string, keys []string) error {
	for _, k := range keys {
		m := mongo.IndexModel{Keys: bson.D{{Key: "k." + k, Value: 1}}}
		if _, err := s.db.Collection(collName(ns, coll)).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index %s on %s/%s: %w", k, ns, coll, err)
		}
	}
	return nil
}

// Commit implements projections.Store. Each document is an upsert that only
// matches while the stored position is earlier; when it is not, the upsert
// collides with the existing _id and that duplicate-key error means "already
// applied". The checkpoint follows once every document is written. A fenced
// checkpoint is checked against the namespace's fence before the documents
// and its write is conditional on it (fencing.go).
func (s *Store) Commit(ctx context.Context, ns string, writes []projections.Write, cp *projections.Checkpoint) error {
	if cp != nil && cp.Fence > 0 {
		if err := s.checkFence(ctx, ns, cp.Fence); err != nil {
			return err
		}
	}
	byColl := map[string][]mongo.WriteModel{}
	var order []string
	for _, w := range writes {
		body := bson.D{}
		if err := bson.UnmarshalExtJSON(w.Doc.Body, false, &body); err != nil {
			return fmt.Errorf("commit to %s: body of %s: %w", ns, w.Doc.ID, err)
		}
		key := w.Doc.Position.Key()
		filter := bson.D{{Key: "_id", Value: w.Doc.ID}}
		if !w.Force {
			filter = append(filter, bson.E{Key: "pos", Value: bson.D{{Key: "$lt", Value: key}}})
		}
		keys := w.Doc.Keys
		if keys == nil {
			keys = map[string]string{}
		}
		set := bson.D{{Key: "pos", Value: key}, {Key: "k", Value: keys}, {Key: "d", Value: body}}
		m := mongo.NewUpdateOneModel().SetFilter(filter).SetUpdate(bson.D{{Key: "$set", Value: set}}).SetUpsert(true)
		if _, ok := byColl[w.Coll]; !ok {
			order = append(order, w.Coll)
		}
		byColl[w.Coll] = append(byColl[w.Coll], m)
	}
	for _, coll := range order {
		_, err := s.db.Collection(collName(ns, coll)).BulkWrite(ctx, byColl[coll], options.BulkWrite().SetOrdered(false))
		if err != nil && !onlyDuplicates(err) {
			return fmt.Errorf("commit to %s/%s: %w", ns, coll, err)
		}
	}
	if cp == nil {
		return nil
	}
	return s.commitCheckpoint(ctx, ns, cp)
}

// onlyDuplicates reports whether every failure in a bulk write was a
// duplicate key, i.e. a guarded upsert whose document was already newer.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}

type checkpointRecord struct {
	Pos       string    `bson:"pos"` // empty while the namespace holds only a fence
	EventTime time.Time `bson:"eventTime"`
	Events    int64     `bson:"events"`
	UpdatedAt time.Time `bson:"updatedAt"`
	Fence     int64     `bson:"fence"`
}

// Checkpoint implements projections.Store.
func (s *Store) Checkpoint(ctx context.Context, ns string) (projections.Checkpoint, bool, error) {
	var r checkpointRecord
	err := s.db.Collection(collCheckpoints).FindOne(ctx, bson.D{{Key: "_id", Value: ns}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return projections.Checkpoint{}, false, nil
	}
	if err != nil {
		return projections.Checkpoint{}, false, fmt.Errorf("checkpoint of %s: %w", ns, err)
	}
	if r.Pos == "" {
		return projections.Checkpoint{}, false, nil
	}
	p, err := projections.ParsePositionKey(r.Pos)
	if err != nil {
		return projections.Checkpoint{}, false, fmt.Errorf("checkpoint of %s: %w", ns, err)
	}
	return projections.Checkpoint{Position: p, EventTime: r.EventTime.UTC(), Events: uint64(r.Events), UpdatedAt: r.UpdatedAt.UTC(),
		Fence: uint64(r.Fence)}, true, nil
}

// Drop implements projections.Store: the checkpoint first, so a half-done
// drop reads as "start from scratch", then the collections.
func (s *Store) Drop(ctx context.Context, ns string) error {
	if _, err := s.db.Collection(collCheckpoints).DeleteOne(ctx, bson.D{{Key: "_id", Value: ns}}); err != nil {
		return fmt.Errorf("drop %s: %w", ns, err)
	}
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("drop %s: %w", ns, err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, ns+".") {
			if err := s.db.Collection(n).Drop(ctx); err != nil {
				return fmt.Errorf("drop %s: %w", n, err)
			}
		}
	}
	return nil
}

// Namespaces implements projections.Store.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("namespaces: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if i := strings.LastIndexByte(n, '.'); i > 0 && !seen[n[:i]] {
			seen[n[:i]] = true
			out = append(out, n[:i])
		}
	}
	return out, nil
}

type generationsRecord struct {
	Live      int       `bson:"live"`
	Building  int       `bson:"building"`
	Owner     string    `bson:"owner"`
	Heartbeat time.Time `bson:"heartbeat"`
	Version   int64     `bson:"v"`
}

// Generations implements projections.Store.
func (s *Store) Generations(ctx context.Context, name string) (projections.Generations, error) {
	var r generationsRecord
	err := s.db.Collection(collGenerations).FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return projections.Generations{}, nil
	}
	if err != nil {
		return projections.Generations{}, fmt.Errorf("generations of %s: %w", name, err)
	}
	return projections.Generations{Live: r.Live, Building: r.Building, Owner: r.Owner, Heartbeat: r.Heartbeat.UTC(), Version: r.Version}, nil
}

// SwapGenerations implements projections.Store with a single-document
// conditional update (or an insert that loses to a concurrent one).
func (s *Store) SwapGenerations(ctx context.Context, name string, old, next projections.Generations) (bool, error) {
	rec := bson.D{
		{Key: "live", Value: next.Live}, {Key: "building", Value: next.Building},
		{Key: "owner", Value: next.Owner}, {Key: "heartbeat", Value: next.Heartbeat},
		{Key: "v", Value: old.Version + 1},
	}
	c := s.db.Collection(collGenerations)
	if old.Version == 0 {
		_, err := c.InsertOne(ctx, append(bson.D{{Key: "_id", Value: name}}, rec...))
		if mongo.IsDuplicateKeyError(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("swap generations of %s: %w", name, err)
		}
		return true, nil
	}
	res, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "v", Value: old.Version}}, bson.D{{Key: "$set", Value: rec}})
	if err != nil {
		return false, fmt.Errorf("swap generations of %s: %w", name, err)
	}
	return res.MatchedCount == 1, nil
}

type parkedRecord struct {
	ID         string    `bson:"_id"`
	Subscriber string    `bson:"subscriber"`
	Pos        string    `bson:"pos"`
	EventID    string    `bson:"eventId"`
	Type       string    `bson:"type"`
	Stream     string    `bson:"stream"`
	Revision   int64     `bson:"revision"`
	Created    time.Time `bson:"created"`
	Data       []byte    `bson:"data"`
	Metadata   []byte    `bson:"metadata"`
	Error      string    `bson:"error"`
	Attempts   int       `bson:"attempts"`
	ParkedAt   time.Time `bson:"parkedAt"`
}

// Park implements projections.Store.
func (s *Store) Park(ctx context.Context, p projections.Parked) error {
	e := p.Event
	rec := parkedRecord{
		ID: p.Subscriber + "/" + e.ID, Subscriber: p.Subscriber, Pos: e.Position.Key(), EventID: e.ID, Type: e.Type,
		Stream: e.Stream, Revision: int64(e.Revision), Created: e.Created, Data: e.Data, Metadata: e.Metadata,
		Error: p.Error, Attempts: p.Attempts, ParkedAt: p.ParkedAt,
	}
	_, err := s.db.Collection(collParked).ReplaceOne(ctx, bson.D{{Key: "_id", Value: rec.ID}}, rec, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("park %s for %s: %w", e.ID, p.Subscriber, err)
	}
	return nil
}

// ParkedEvents implements projections.Store.
func (s *Store) ParkedEvents(ctx context.Context, subscriber string) ([]projections.Parked, error) {
	filter := bson.D{}
	if subscriber != "" {
		filter = bson.D{{Key: "subscriber", Value: subscriber}}
	}
	cur, err := s.db.Collection(collParked).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "pos", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("parked events: %w", err)
	}
	var recs []parkedRecord
	if err := cur.All(ctx, &recs); err != nil {
		return nil, fmt.Errorf("parked events: %w", err)
	}
	out := make([]projections.Parked, 0, len(recs))
	for _, r := range recs {
		p, err := projections.ParsePositionKey(r.Pos)
		if err != nil {
			return nil, fmt.Errorf("parked events: %w", err)
		}
		out = append(out, projections.Parked{
			Subscriber: r.Subscriber, Error: r.Error, Attempts: r.Attempts, ParkedAt: r.ParkedAt.UTC(),
			Event: projections.Event{
				ID: r.EventID, Type: r.Type, Stream: r.Stream, Revision: uint64(r.Revision), Position: p,
				Created: r.Created.UTC(), Data: r.Data, Metadata: r.Metadata,
			},
		})
	}
	return out, nil
}

// Unpark implements projections.Store.
func (s *Store) Unpark(ctx context.Context, subscriber, eventID string) error {
	if _, err := s.db.Collection(collParked).DeleteOne(ctx, bson.D{{Key: "_id", Value: subscriber + "/" + eventID}}); err != nil {
		return fmt.Errorf("unpark %s for %s: %w", eventID, subscriber, err)
	}
	return nil
}

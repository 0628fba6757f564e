package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/vetclinic/clinic/projections"
)

// collLeases holds one document per lease, by name.
const collLeases = "leases"

// Leases and fences need no multi-document transaction either: each lease
// change is one conditional update of its document, and a namespace's
// fence is a field of its checkpoint document that only grows ($max). A
// fenced commit reads the fence before it writes the documents, and the
// checkpoint write matches only while the fence is not above the commit's,
// so a holder that lost its lease has its checkpoint refused once its
// successor has fenced the namespace. (A holder paused between that read
// and its document writes can still land documents; each is guarded by
// position and folded from the same events the successor folds, so it
// holds what the successor writes, and the successor, which read the
// checkpoint after fencing, never skips an event because of it.)

type leaseRecord struct {
	ID      string    `bson:"_id"`
	Holder  string    `bson:"holder"`
	Token   int64     `bson:"token"`
	Expires time.Time `bson:"expires"`
}

func (r leaseRecord) lease() projections.Lease {
	return projections.Lease{Name: r.ID, Holder: r.Holder, Token: uint64(r.Token), Expires: r.Expires.UTC()}
}

// Acquire implements projections.Leases. With ErrLeaseHeld the lease
// returned is the holder's. It reads the lease before it tries to take
// it: the conditional update stays the one that decides (two standbys
// that both read an expired lease cannot both match it), the read only
// spares the primary a write while the lease is held.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (projections.Lease, error) {
	now := s.now().UTC()
	c := s.db.Collection(collLeases)
	// A standby asks every TTL/20: read first, so that while another
	// holder's lease runs it costs one read (served by any member a read
	// preference allows), not a write to the primary.
	var cur leaseRecord
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&cur)
	switch {
	case err == nil && cur.Holder != "" && cur.Holder != holder && cur.Expires.After(now):
		return cur.lease(), fmt.Errorf("acquire lease %s: %w", name, projections.ErrLeaseHeld)
	case err != nil && !errors.Is(err, mongo.ErrNoDocuments):
		return projections.Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	filter := bson.D{{Key: "_id", Value: name}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "holder", Value: ""}},
		bson.D{{Key: "holder", Value: holder}},
		bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: now}}}},
	}}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "holder", Value: holder}, {Key: "expires", Value: now.Add(ttl)}}},
		{Key: "$inc", Value: bson.D{{Key: "token", Value: int64(1)}}},
	}
	var r leaseRecord
	err = c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	if err == nil {
		return r.lease(), nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return projections.Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	// Either there is no lease yet, or another holder's runs: an insert
	// tells which (it collides with the existing one).
	r = leaseRecord{ID: name, Holder: holder, Token: 1, Expires: now.Add(ttl)}
	_, err = c.InsertOne(ctx, r)
	if err == nil {
		return r.lease(), nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return projections.Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&cur); err != nil {
		return projections.Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return cur.lease(), fmt.Errorf("acquire lease %s: %w", name, projections.ErrLeaseHeld)
}

// held is the filter matching l while it is still its holder's.
func held(l projections.Lease) bson.D {
	return bson.D{{Key: "_id", Value: l.Name}, {Key: "holder", Value: l.Holder}, {Key: "token", Value: int64(l.Token)}}
}

// Renew implements projections.Leases.
func (s *Store) Renew(ctx context.Context, l projections.Lease, ttl time.Duration) (projections.Lease, error) {
	exp := s.now().UTC().Add(ttl)
	res, err := s.db.Collection(collLeases).UpdateOne(ctx, held(l), bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: exp}}}})
	if err != nil {
		return l, fmt.Errorf("renew lease %s: %w", l.Name, err)
	}
	if res.MatchedCount == 0 {
		return l, fmt.Errorf("renew lease %s: %w", l.Name, projections.ErrLeaseLost)
	}
	l.Expires = exp
	return l, nil
}

// Release implements projections.Leases.
func (s *Store) Release(ctx context.Context, l projections.Lease) error {
	res, err := s.db.Collection(collLeases).UpdateOne(ctx, held(l),
		bson.D{{Key: "$set", Value: bson.D{{Key: "holder", Value: ""}, {Key: "expires", Value: time.Unix(0, 0).UTC()}}}})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", l.Name, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("release lease %s: %w", l.Name, projections.ErrLeaseLost)
	}
	return nil
}

// Fence implements projections.Leases.
func (s *Store) Fence(ctx context.Context, ns string, token uint64) error {
	_, err := s.db.Collection(collCheckpoints).UpdateOne(ctx, bson.D{{Key: "_id", Value: ns}},
		bson.D{{Key: "$max", Value: bson.D{{Key: "fence", Value: int64(token)}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("fence %s: %w", ns, err)
	}
	return nil
}

func fencedErr(ns string, fence int64) error {
	return fmt.Errorf("commit to %s: %w: its fence is above the commit's %d", ns, projections.ErrFenced, fence)
}

// checkFence refuses a commit carrying fence before it writes anything.
func (s *Store) checkFence(ctx context.Context, ns string, fence uint64) error {
	var r struct {
		Fence int64 `bson:"fence"`
	}
	err := s.db.Collection(collCheckpoints).FindOne(ctx, bson.D{{Key: "_id", Value: ns}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("commit to %s: read its fence: %w", ns, err)
	}
	if r.Fence > int64(fence) {
		return fencedErr(ns, int64(fence))
	}
	return nil
}

// commitCheckpoint writes cp; a fenced one only while the namespace's
// fence is not above cp's (else the upsert collides with the existing _id).
func (s *Store) commitCheckpoint(ctx context.Context, ns string, cp *projections.Checkpoint) error {
	rec := bson.D{
		{Key: "pos", Value: cp.Position.Key()},
		{Key: "eventTime", Value: cp.EventTime},
		{Key: "events", Value: int64(cp.Events)},
		{Key: "updatedAt", Value: cp.UpdatedAt},
	}
	filter := bson.D{{Key: "_id", Value: ns}}
	if cp.Fence > 0 {
		f := int64(cp.Fence)
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "fence", Value: bson.D{{Key: "$lte", Value: f}}}},
			bson.D{{Key: "fence", Value: bson.D{{Key: "$exists", Value: false}}}},
		}})
		rec = append(rec, bson.E{Key: "fence", Value: f})
	}
	_, err := s.db.Collection(collCheckpoints).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: rec}}, options.UpdateOne().SetUpsert(true))
	if cp.Fence > 0 && mongo.IsDuplicateKeyError(err) {
		return fencedErr(ns, int64(cp.Fence))
	}
	if err != nil {
		return fmt.Errorf("commit checkpoint of %s: %w", ns, err)
	}
	return nil
}

package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/vetclinic/clinic/projections"
)

// bucketLeases in the main file holds the leases by name; keyFence in a
// namespace's bucket (in the file that holds the namespace) its fence.
var (
	bucketLeases = []byte("leases")
	keyFence     = []byte("fence")
)

var _ projections.LeaseStore = (*Store)(nil)

type leaseRecord struct {
	Holder  string    `json:"holder"`
	Token   uint64    `json:"token"`
	Expires time.Time `json:"expires"`
}

func (s *Store) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// releaseAll frees every lease at open: holding the file's lock proves that
// no other process has it open, so no holder recorded in it is alive. A
// restarted process then takes its leases at once instead of waiting for
// them to expire. Tokens stay, so they keep growing.
func (s *Store) releaseAll() error {
	return s.update(s.db, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketLeases)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var r leaseRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			r.Holder, r.Expires = "", time.Time{}
			nv, err := json.Marshal(r)
			if err != nil {
				return err
			}
			return b.Put(k, nv)
		})
	})
}

// lease runs fn on the stored record of lease name (zero when none) in one
// write transaction, storing the record fn returns when put is true.
func (s *Store) lease(name string, fn func(r *leaseRecord) (put bool, err error)) error {
	return s.update(s.db, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		var r leaseRecord
		if v := b.Get([]byte(name)); v != nil {
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
		}
		put, err := fn(&r)
		if err != nil || !put {
			return err
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), v)
	})
}

// Acquire implements projections.Leases. With ErrLeaseHeld the lease
// returned is the holder's.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (projections.Lease, error) {
	if err := ctx.Err(); err != nil {
		return projections.Lease{}, err
	}
	var out projections.Lease
	err := s.lease(name, func(r *leaseRecord) (bool, error) {
		now := s.now()
		if r.Holder != "" && r.Holder != holder && now.Before(r.Expires) {
			out = projections.Lease{Name: name, Holder: r.Holder, Token: r.Token, Expires: r.Expires}
			return false, projections.ErrLeaseHeld
		}
		r.Holder, r.Token, r.Expires = holder, r.Token+1, now.Add(ttl)
		out = projections.Lease{Name: name, Holder: holder, Token: r.Token, Expires: r.Expires}
		return true, nil
	})
	if err != nil {
		return out, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return out, nil
}

// Renew implements projections.Leases.
func (s *Store) Renew(ctx context.Context, l projections.Lease, ttl time.Duration) (projections.Lease, error) {
	if err := ctx.Err(); err != nil {
		return l, err
	}
	err := s.lease(l.Name, func(r *leaseRecord) (bool, error) {
		if r.Holder != l.Holder || r.Token != l.Token {
			return false, projections.ErrLeaseLost
		}
		r.Expires = s.now().Add(ttl)
		l.Expires = r.Expires
		return true, nil
	})
	if err != nil {
		return l, fmt.Errorf("renew lease %s: %w", l.Name, err)
	}
	return l, nil
}

// Release implements projections.Leases.
func (s *Store) Release(ctx context.Context, l projections.Lease) error {
	err := s.lease(l.Name, func(r *leaseRecord) (bool, error) {
		if r.Holder != l.Holder || r.Token != l.Token {
			return false, projections.ErrLeaseLost
		}
		r.Holder, r.Expires = "", time.Time{}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", l.Name, err)
	}
	return nil
}

// Fence implements projections.Leases. The fence lives in the namespace's
// own file, so Commit checks it in the transaction that writes the
// documents and the checkpoint.
func (s *Store) Fence(ctx context.Context, ns string, token uint64) error {
	err := s.updateNS(ctx, ns, func(nsb *bbolt.Bucket) error { return raiseFence(nsb, token) })
	if err != nil {
		return fmt.Errorf("fence %s: %w", ns, err)
	}
	return nil
}

func fenceOf(nsb *bbolt.Bucket) uint64 {
	if v := nsb.Get(keyFence); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func raiseFence(nsb *bbolt.Bucket, token uint64) error {
	if token <= fenceOf(nsb) {
		return nil
	}
	return nsb.Put(keyFence, binary.BigEndian.AppendUint64(nil, token))
}

// checkFence refuses a checkpoint whose fence is below the namespace's,
// and raises the namespace's to it otherwise.
func checkFence(nsb *bbolt.Bucket, ns string, cp *projections.Checkpoint) error {
	if cp == nil || cp.Fence == 0 {
		return nil
	}
	if cur := fenceOf(nsb); cp.Fence < cur {
		return fmt.Errorf("%w: %s is fenced at %d, the commit carries %d", projections.ErrFenced, ns, cur, cp.Fence)
	}
	return raiseFence(nsb, cp.Fence)
}

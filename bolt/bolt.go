// Package bolt is the embedded read store: projections.Store on bbolt, a
// pure-Go B+tree. One write transaction holds a batch of documents, their
// index entries and the checkpoint, so the checkpoint can never be ahead of
// the documents, and a crash loses a whole batch or none.
//
// The main file holds the fixed namespaces (the notice service's), the
// generation pointers and the parked events; each numbered copy of a
// projection ("lookup~2") has a file of its own beside it, so a copy being
// rebuilt can be bulk-loaded without a sync per batch, and dropping a copy
// gives its disk space back.
package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/vetclinic/clinic/projections"
)

var (
	bucketNS     = []byte("ns")
	bucketGens   = []byte("generations")
	bucketParked = []byte("parked")
	keyCP        = []byte("checkpoint")
)

// Store is a projections.Store in bbolt files. It is safe for concurrent
// use; write transactions are serialised by bbolt, per file.
type Store struct {
	db      *bbolt.DB // the main file
	path    string
	timeout time.Duration

	mu     sync.Mutex
	copies map[string]*bbolt.DB // open copy files by namespace

	health health // whether the storage takes writes (health.go)
	clock  func() time.Time
}

// Options configures a Store. Zero values mean the defaults.
type Options struct {
	// Timeout is how long Open waits for another process to let the file
	// go. Zero waits for ever.
	Timeout time.Duration
	// Logger receives the one error line when the storage starts refusing
	// writes, and the line when it takes them again. Default discards.
	Logger *slog.Logger
	// Now is the leases' clock; default time.Now.
	Now func() time.Time
}

var _ projections.Store = (*Store)(nil)

// ErrLocked is what Open returns when another process holds the file past
// the timeout.
var ErrLocked = errors.New("bolt: the read store file is held by another process")

// Open opens (creating it if needed) the store file at path. Only one process
// may hold it; Open gives up after timeout when another one does.
func Open(path string, timeout time.Duration) (*Store, error) {
	return OpenWith(path, Options{Timeout: timeout})
}

// OpenWith is Open with options.
func OpenWith(path string, opts Options) (*Store, error) {
	timeout := opts.Timeout
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, FreelistType: bbolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open read store %s: %w (%w)", path, ErrLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open read store %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketNS, bucketGens, bucketParked} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open read store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, timeout: timeout, copies: map[string]*bbolt.DB{}, health: health{log: log}, clock: opts.Now}
	if err := s.discardTornBulkLoads(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.releaseAll(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open read store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the files.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := []error{}
	for ns, db := range s.copies {
		errs = append(errs, db.Close())
		delete(s.copies, ns)
	}
	return errors.Join(append(errs, s.db.Close())...)
}

func docsName(coll string) []byte     { return []byte("d:" + coll) }
func idxName(coll, key string) []byte { return []byte("i:" + coll + ":" + key) }
func idxKey(value, id string) []byte  { return []byte(value + "\x00" + id) }

// Get implements projections.Store.
func (s *Store) Get(ctx context.Context, ns, coll, id string) (projections.Doc, bool, error) {
	var d projections.Doc
	var ok bool
	db, err := s.dbFor(ns, false)
	if err != nil || db == nil {
		return d, false, err
	}
	err = db.View(func(tx *bbolt.Tx) error {
		b := docsBucket(tx, ns, coll)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		var err error
		d, err = decodeDoc(id, v)
		ok = err == nil
		return err
	})
	if err != nil {
		return projections.Doc{}, false, fmt.Errorf("get %s/%s/%s: %w", ns, coll, id, err)
	}
	return d, ok, nil
}

// Find implements projections.Store.
func (s *Store) Find(ctx context.Context, ns, coll, key, value string, limit int) ([]projections.Doc, error) {
	var out []projections.Doc
	db, err := s.dbFor(ns, false)
	if err != nil || db == nil {
		return nil, err
	}
	err = db.View(func(tx *bbolt.Tx) error {
		nsb := tx.Bucket(bucketNS).Bucket([]byte(ns))
		if nsb == nil {
			return nil
		}
		ib, db := nsb.Bucket(idxName(coll, key)), nsb.Bucket(docsName(coll))
		if ib == nil || db == nil {
			return nil
		}
		prefix := []byte(value + "\x00")
		c := ib.Cursor()
		for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
			id := string(k[len(prefix):])
			v := db.Get([]byte(id))
			if v == nil {
				continue
			}
			d, err := decodeDoc(id, v)
			if err != nil {
				return err
			}
			out = append(out, d)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find %s/%s %s=%q: %w", ns, coll, key, value, err)
	}
	return out, nil
}

// EnsureIndexes implements projections.Store. Index entries are kept for
// every key a document carries, so there is nothing to prepare.
func (s *Store) EnsureIndexes(ctx context.Context, ns, coll string, keys []string) error { return nil }

// Commit implements projections.Store: the fence check, the documents and
// the checkpoint in one transaction.
func (s *Store) Commit(ctx context.Context, ns string, writes []projections.Write, cp *projections.Checkpoint) error {
	err := s.updateNS(ctx, ns, func(nsb *bbolt.Bucket) error {
		if err := checkFence(nsb, ns, cp); err != nil {
			return err
		}
		for _, w := range writes {
			if err := put(nsb, w); err != nil {
				return err
			}
		}
		if cp == nil {
			return nil
		}
		v, err := json.Marshal(cp)
		if err != nil {
			return err
		}
		return nsb.Put(keyCP, v)
	})
	if err != nil {
		return fmt.Errorf("commit %d documents to %s: %w", len(writes), ns, err)
	}
	return nil
}

// updateNS runs fn in a write transaction of namespace ns's file, on its
// bucket (created if new): the one shape of every write to a namespace.
func (s *Store) updateNS(ctx context.Context, ns string, fn func(nsb *bbolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db, err := s.dbFor(ns, true)
	if err != nil {
		return err
	}
	return s.update(db, func(tx *bbolt.Tx) error {
		nsb, err := tx.Bucket(bucketNS).CreateBucketIfNotExists([]byte(ns))
		if err != nil {
			return err
		}
		return fn(nsb)
	})
}

func put(nsb *bbolt.Bucket, w projections.Write) error {
	db, err := nsb.CreateBucketIfNotExists(docsName(w.Coll))
	if err != nil {
		return err
	}
	id := []byte(w.Doc.ID)
	var oldKeys map[string]string
	if old := db.Get(id); old != nil {
		pos, keys, _, err := decodeParts(old)
		if err != nil {
			return err
		}
		if !w.Force && !pos.Less(w.Doc.Position) {
			return nil // already folded in: a redelivery
		}
		oldKeys = keys
	}
	for k, v := range oldKeys {
		if nv, ok := w.Doc.Keys[k]; ok && nv == v {
			continue
		}
		if ib := nsb.Bucket(idxName(w.Coll, k)); ib != nil {
			if err := ib.Delete(idxKey(v, w.Doc.ID)); err != nil {
				return err
			}
		}
	}
	for k, v := range w.Doc.Keys {
		if ov, ok := oldKeys[k]; ok && ov == v {
			continue
		}
		ib, err := nsb.CreateBucketIfNotExists(idxName(w.Coll, k))
		if err != nil {
			return err
		}
		if err := ib.Put(idxKey(v, w.Doc.ID), nil); err != nil {
			return err
		}
	}
	return db.Put(id, encodeDoc(w.Doc))
}

// Checkpoint implements projections.Store.
func (s *Store) Checkpoint(ctx context.Context, ns string) (projections.Checkpoint, bool, error) {
	var cp projections.Checkpoint
	var ok bool
	db, err := s.dbFor(ns, false)
	if err != nil || db == nil {
		return cp, false, err
	}
	err = db.View(func(tx *bbolt.Tx) error {
		nsb := tx.Bucket(bucketNS).Bucket([]byte(ns))
		if nsb == nil {
			return nil
		}
		v := nsb.Get(keyCP)
		if v == nil {
			return nil
		}
		ok = true
		if err := json.Unmarshal(v, &cp); err != nil {
			return err
		}
		cp.Fence = fenceOf(nsb)
		return nil
	})
	if err != nil {
		return projections.Checkpoint{}, false, fmt.Errorf("checkpoint of %s: %w", ns, err)
	}
	return cp, ok, nil
}

// Drop implements projections.Store: a copy's file is removed.
func (s *Store) Drop(ctx context.Context, ns string) error {
	if projections.IsCopy(ns) {
		return s.dropCopy(ns)
	}
	err := s.update(s.db, func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketNS).DeleteBucket([]byte(ns))
		if errors.Is(err, berrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("drop %s: %w", ns, err)
	}
	return nil
}

// Namespaces implements projections.Store.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketNS).ForEachBucket(func(k []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	copies, err := s.copyFiles()
	return append(out, copies...), err
}

// Generations implements projections.Store.
func (s *Store) Generations(ctx context.Context, name string) (projections.Generations, error) {
	var g projections.Generations
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketGens).Get([]byte(name))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &g)
	})
	if err != nil {
		return projections.Generations{}, fmt.Errorf("generations of %s: %w", name, err)
	}
	return g, nil
}

// SwapGenerations implements projections.Store.
func (s *Store) SwapGenerations(ctx context.Context, name string, old, next projections.Generations) (bool, error) {
	swapped := false
	err := s.update(s.db, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketGens)
		var cur projections.Generations
		if v := b.Get([]byte(name)); v != nil {
			if err := json.Unmarshal(v, &cur); err != nil {
				return err
			}
		}
		if cur.Version != old.Version {
			return nil
		}
		next.Version = cur.Version + 1
		v, err := json.Marshal(next)
		if err != nil {
			return err
		}
		swapped = true
		return b.Put([]byte(name), v)
	})
	if err != nil {
		return false, fmt.Errorf("swap generations of %s: %w", name, err)
	}
	return swapped, nil
}

func parkedKey(p projections.Parked) []byte {
	return []byte(p.Event.Position.Key() + "\x00" + p.Event.ID)
}

// Park implements projections.Store.
func (s *Store) Park(ctx context.Context, p projections.Parked) error {
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.update(s.db, func(tx *bbolt.Tx) error {
		b, err := tx.Bucket(bucketParked).CreateBucketIfNotExists([]byte(p.Subscriber))
		if err != nil {
			return err
		}
		return b.Put(parkedKey(p), v)
	})
}

// ParkedEvents implements projections.Store.
func (s *Store) ParkedEvents(ctx context.Context, subscriber string) ([]projections.Parked, error) {
	var out []projections.Parked
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketParked).ForEachBucket(func(name []byte) error {
			if subscriber != "" && string(name) != subscriber {
				return nil
			}
			return tx.Bucket(bucketParked).Bucket(name).ForEach(func(_, v []byte) error {
				var p projections.Parked
				if err := json.Unmarshal(v, &p); err != nil {
					return err
				}
				out = append(out, p)
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("parked events: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Event.Position.Less(out[j].Event.Position) })
	return out, nil
}

// Unpark implements projections.Store.
func (s *Store) Unpark(ctx context.Context, subscriber, eventID string) error {
	return s.update(s.db, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketParked).Bucket([]byte(subscriber))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if strings.HasSuffix(string(k), "\x00"+eventID) {
				return c.Delete()
			}
		}
		return nil
	})
}

func docsBucket(tx *bbolt.Tx, ns, coll string) *bbolt.Bucket {
	nsb := tx.Bucket(bucketNS).Bucket([]byte(ns))
	if nsb == nil {
		return nil
	}
	return nsb.Bucket(docsName(coll))
}

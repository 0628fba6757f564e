package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"github.com/vetclinic/clinic/projections"
)

// bucketBulk in the main file marks copies being bulk-loaded (unsynced).
var bucketBulk = []byte("bulk")

// copyPath is the file of copy ns: beside the main file, named after it.
func (s *Store) copyPath(ns string) string {
	return strings.TrimSuffix(s.path, filepath.Ext(s.path)) + "." + ns + filepath.Ext(s.path)
}

// dbFor returns the file holding namespace ns. For a copy that has no file
// yet it returns nil, unless create is set.
func (s *Store) dbFor(ns string, create bool) (*bbolt.DB, error) {
	if !projections.IsCopy(ns) {
		return s.db, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if db, ok := s.copies[ns]; ok {
		return db, nil
	}
	path := s.copyPath(ns)
	if !create {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: s.timeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketNS)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.copies[ns] = db
	return db, nil
}

func (s *Store) dropCopy(ns string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if db, ok := s.copies[ns]; ok {
		delete(s.copies, ns)
		if err := db.Close(); err != nil {
			return fmt.Errorf("drop %s: %w", ns, err)
		}
	}
	if err := os.Remove(s.copyPath(ns)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("drop %s: %w", ns, err)
	}
	return s.setBulk(ns, false)
}

// copyFiles lists the copies that have a file.
func (s *Store) copyFiles() ([]string, error) {
	base := strings.TrimSuffix(s.path, filepath.Ext(s.path)) + "."
	matches, err := filepath.Glob(base + "*" + filepath.Ext(s.path))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if ns := strings.TrimSuffix(strings.TrimPrefix(m, base), filepath.Ext(s.path)); projections.IsCopy(ns) {
			out = append(out, ns)
		}
	}
	return out, nil
}

// BulkLoad implements projections.BulkLoader. While on, commits to copy ns
// are not synced one by one: a rebuild fills a fresh copy that nothing
// serves yet, and a crash only sends it back to its last synced state.
// Turning it off syncs the file. A copy whose bulk load a power loss cut
// short may be torn; the mark kept in the main file until the final sync
// makes the next Open discard it, and its rebuild starts it again.
func (s *Store) BulkLoad(ns string, on bool) error {
	if !projections.IsCopy(ns) {
		return nil
	}
	db, err := s.dbFor(ns, true)
	if err != nil {
		return err
	}
	if on {
		if err := s.setBulk(ns, true); err != nil {
			return err
		}
		db.NoSync = true
		return nil
	}
	if err := db.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", ns, err)
	}
	db.NoSync = false
	return s.setBulk(ns, false)
}

func (s *Store) setBulk(ns string, on bool) error {
	return s.update(s.db, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketBulk)
		if err != nil {
			return err
		}
		if on {
			return b.Put([]byte(ns), []byte{1})
		}
		return b.Delete([]byte(ns))
	})
}

// discardTornBulkLoads removes the files of copies whose bulk load never
// reached its final sync.
func (s *Store) discardTornBulkLoads() error {
	var torn []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBulk)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			torn = append(torn, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, ns := range torn {
		if err := s.dropCopy(ns); err != nil {
			return err
		}
	}
	return nil
}

package docstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/mongodb"
	"github.com/vetclinic/clinic/mongodb/mongotest"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/notice/storetest"
)

func TestContractOnBolt(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store {
		rs, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rs.Close() })
		return docstore.New(rs)
	})
}

func TestContractOnMongoWire(t *testing.T) {
	t.Parallel()
	db := mongotest.Database(t)
	n := 0
	storetest.Run(t, func(t *testing.T) storetest.Store {
		n++
		s := docstore.New(mongodb.New(db.Client().Database(db.Name() + "_" + string(rune('a'+n)))))
		if err := s.EnsureIndexes(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// seoul is the zone of the clinic the notice tests render for.
func seoul(tb testing.TB) *time.Location {
	tb.Helper()
	z, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

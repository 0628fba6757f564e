package mongodb_test

import (
	"testing"
	"time"

	"github.com/vetclinic/clinic/mongodb"
	"github.com/vetclinic/clinic/mongodb/mongotest"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	db := mongotest.Database(t)
	n := 0
	storetest.Run(t, func(t *testing.T) projections.Store {
		// One server, one database per subtest: FerretDB is slow to start.
		n++
		return mongodb.New(db.Client().Database(db.Name() + "_" + string(rune('a'+n))))
	})
}

func TestLeaseContract(t *testing.T) {
	t.Parallel()
	db := mongotest.Database(t)
	n := 0
	storetest.RunLeases(t, func(t *testing.T, now func() time.Time) projections.LeaseStore {
		n++
		return mongodb.NewWith(db.Client().Database(db.Name()+"_l"+string(rune('a'+n))), mongodb.Options{Now: now})
	})
}

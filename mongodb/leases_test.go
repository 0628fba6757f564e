package mongodb_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/vetclinic/clinic/mongodb"
	"github.com/vetclinic/clinic/mongodb/mongotest"
	"github.com/vetclinic/clinic/projections"
)

// TestStandbyOnlyReads: a standby asking for a lease another replica
// holds sends reads only, so replicas standing by every TTL/20 put no
// write load on the primary; once the lease expires the same call takes
// it with a write.
func TestStandbyOnlyReads(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var cmds []string
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		mu.Lock()
		cmds = append(cmds, e.CommandName)
		mu.Unlock()
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(mongotest.URL(t)).SetMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	db := client.Database(mongotest.Database(t).Name())
	var clockMu sync.Mutex
	now := time.Now()
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	s := mongodb.NewWith(db, mongodb.Options{Now: clock})
	ctx := context.Background()
	held, err := s.Acquire(ctx, "lookup", "replica-a", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	cmds = nil
	mu.Unlock()
	for range 5 {
		if l, err := s.Acquire(ctx, "lookup", "replica-b", 10*time.Second); !errors.Is(err, projections.ErrLeaseHeld) || l.Holder != "replica-a" {
			t.Fatalf("standby Acquire = %+v, %v; want ErrLeaseHeld by replica-a", l, err)
		}
	}
	mu.Lock()
	standby := slices.Clone(cmds)
	cmds = nil
	mu.Unlock()
	if len(standby) != 5 || slices.ContainsFunc(standby, func(c string) bool { return c != "find" }) {
		t.Errorf("a standby's 5 refused Acquires sent %q; want 5 finds", standby)
	}

	clockMu.Lock()
	now = now.Add(11 * time.Second)
	clockMu.Unlock()
	l, err := s.Acquire(ctx, "lookup", "replica-b", 10*time.Second)
	if err != nil || l.Holder != "replica-b" || l.Token <= held.Token {
		t.Fatalf("Acquire after expiry = %+v, %v; want replica-b with a token above %d", l, err, held.Token)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(cmds, "findAndModify") {
		t.Errorf("taking an expired lease sent %q; want a findAndModify", cmds)
	}
}

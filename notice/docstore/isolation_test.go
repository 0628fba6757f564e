package docstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/notice/webhook"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is a webhook endpoint that de-duplicates by webhook-id, as the
// specification asks of receivers, and can be down or reject some ids.
type receiver struct {
	mu       sync.Mutex
	down     bool            // answer 503 to everything
	reject   map[string]bool // answer 400 to these message ids
	accepted map[string]int  // 2xx answers per webhook-id
	hits     chan hit
	srv      *httptest.Server
}

type hit struct {
	id     string
	status int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{reject: map[string]bool{}, accepted: map[string]int{}, hits: make(chan hit, 100000)}
	key, err := webhook.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
		var sec int64
		fmt.Sscan(ts, &sec)
		status := http.StatusNoContent
		r.mu.Lock()
		switch {
		case webhook.Sign(key, id, sec, body) != req.Header.Get("webhook-signature"):
			status = http.StatusUnauthorized
		case r.down:
			status = http.StatusServiceUnavailable
		case r.reject[id]:
			status = http.StatusBadRequest
		default:
			r.accepted[id]++
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		r.hits <- hit{id, status}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

func (r *receiver) acceptedCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.accepted {
		out[k] = v
	}
	return out
}

// waitAccepted waits until every id in want has been accepted.
func (r *receiver) waitAccepted(t *testing.T, want []string) {
	t.Helper()
	r.waitFor(t, func(h hit) bool {
		got := r.acceptedCounts()
		for _, id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
}

// waitFor consumes hits until done is true after one of them.
func (r *receiver) waitFor(t *testing.T, done func(hit) bool) {
	t.Helper()
	guard := time.After(30 * time.Second) // a hang guard, not a timing assertion
	for {
		select {
		case h := <-r.hits:
			if done(h) {
				return
			}
		case <-guard:
			t.Fatalf("receiver: gave up waiting; accepted so far: %d", len(r.acceptedCounts()))
		}
	}
}

// rig is the notice role on an in-memory $all and a bbolt read store.
type rig struct {
	t      *testing.T
	source *projectionstest.MemorySource
	esdb   *esdbclient.Client // when set, $all is the embedded event store instead of source
	rs     *bolt.Store
	store  *docstore.Store
	recv   *receiver
	cfg    notice.DeliveryConfig
	saved  chan notice.Message // every outcome the dispatcher records
}

// watchedStore reports each of the dispatcher's saves.
type watchedStore struct {
	*docstore.Store
	saved chan notice.Message
}

func (s watchedStore) Save(ctx context.Context, m notice.Message) error {
	err := s.Store.Save(ctx, m)
	if err == nil {
		s.saved <- m
	}
	return err
}

func (s watchedStore) SaveAll(ctx context.Context, ms []notice.Message) error {
	err := s.Store.SaveAll(ctx, ms)
	if err == nil {
		for _, m := range ms {
			s.saved <- m
		}
	}
	return err
}

// waitSettled waits until the dispatcher has recorded a final outcome (sent
// or dead) for every id.
func (r *rig) waitSettled(ids []string) {
	r.t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, m := range r.messages(notice.Filter{}) {
		if m.Status == notice.StatusSent || m.Status == notice.StatusDead {
			delete(want, m.ID)
		}
	}
	guard := time.After(30 * time.Second) // a hang guard, not a timing assertion
	for len(want) > 0 {
		select {
		case m := <-r.saved:
			if m.Status == notice.StatusSent || m.Status == notice.StatusDead {
				delete(want, m.ID)
			}
		case <-guard:
			r.t.Fatalf("%d messages never settled", len(want))
		}
	}
}

func newRig(t *testing.T) *rig {
	t.Helper()
	rs, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return &rig{t: t, source: projectionstest.NewMemorySource(), rs: rs, store: docstore.New(rs), recv: newReceiver(t),
		saved: make(chan notice.Message, 100000),
		cfg: notice.DeliveryConfig{Workers: 4, MaxAttempts: 5, InitialInterval: 2 * time.Millisecond,
			MaxInterval: 20 * time.Millisecond, PollInterval: 20 * time.Millisecond}}
}

// start runs the notice role (subscriber and dispatcher) until the
// returned stop is called.
func (r *rig) start() (stop func(), runner *projections.Runner) {
	t := r.t
	t.Helper()
	ch, err := webhook.New(webhook.Config{URL: r.recv.srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var src projections.Source = r.source
	if r.esdb != nil {
		src = esdb.Source{Client: r.esdb}
	}
	role, err := newRole(r.rs, src, ch, notice.Config{Clinic: "C"}, r.cfg, seoul(t), watchedStore{r.store, r.saved})
	if err != nil {
		t.Fatal(err)
	}
	runner = role.Runner
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { role.Run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop, runner
}

// place appends a ReservationPlaced for a new reservation, as the command
// side would, and returns the event's ID (the message's webhook-id).
func (r *rig) place() string {
	id := uuid.New()
	e := reservation.Placed{Visit: reservation.Visit{
		ReservationID: id, Customer: reservation.Customer{Name: "N", Phone: "010-1234-5678"},
		Pet: reservation.Pet{Name: "Coco", Species: "dog"}, DoctorID: "dr-kim",
		Slot: time.Now().Add(72 * time.Hour).UTC(), Status: reservation.StatusBooked, At: time.Now().UTC(),
	}}
	data, err := json.Marshal(e)
	if err != nil {
		r.t.Fatal(err)
	}
	if r.esdb != nil {
		evID := uuid.New()
		_, err := r.esdb.AppendToStream(context.Background(), reservation.Stream(id),
			esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.NoStream{}},
			esdbclient.EventData{EventID: evID, EventType: e.EventType(), ContentType: esdbclient.ContentTypeJson, Data: data})
		if err != nil {
			r.t.Fatal(err)
		}
		return evID.String()
	}
	return r.source.Append(reservation.Stream(id), e.EventType(), data).ID
}

func (r *rig) messages(f notice.Filter) map[string]notice.Message {
	r.t.Helper()
	ms, err := r.store.List(context.Background(), f)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]notice.Message{}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out
}

func assertExactlyOnce(t *testing.T, r *rig, ids []string) {
	t.Helper()
	r.waitSettled(ids)
	got := r.recv.acceptedCounts()
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("message %s accepted %d times, want exactly once", id, got[id])
		}
	}
	if len(got) != len(ids) {
		t.Errorf("receiver accepted %d distinct messages, want %d", len(got), len(ids))
	}
	sent := r.messages(notice.Filter{Status: notice.StatusSent})
	for _, id := range ids {
		if _, ok := sent[id]; !ok {
			t.Errorf("message %s is not recorded as sent", id)
		}
	}
}

func TestReceiverDownThenBackGetsEveryMessageOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.cfg.MaxAttempts = 1000 // an outage must not kill messages in this test
	r.recv.setDown(true)
	r.start()
	var ids []string
	for range 40 {
		ids = append(ids, r.place())
	}
	// Every message has been tried, and refused, at least once.
	refused := map[string]bool{}
	r.recv.waitFor(t, func(h hit) bool {
		if h.status == http.StatusServiceUnavailable {
			refused[h.id] = true
		}
		return len(refused) == len(ids)
	})
	pending := r.messages(notice.Filter{Status: notice.StatusPending})
	if len(pending) != len(ids) {
		t.Errorf("%d messages pending during the outage, want %d", len(pending), len(ids))
	}
	r.recv.setDown(false)
	ids = append(ids, r.place()) // and one placed just as it comes back
	r.recv.waitAccepted(t, ids)
	assertExactlyOnce(t, r, ids)
}

func TestNoticeRoleStoppedCatchesUpWithoutLossOrDuplicates(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	stop, _ := r.start()
	var ids []string
	for range 10 {
		ids = append(ids, r.place())
	}
	r.recv.waitAccepted(t, ids)
	stop()
	for range 30 { // placed while the notice role is down
		ids = append(ids, r.place())
	}
	r.start()
	r.recv.waitAccepted(t, ids)
	assertExactlyOnce(t, r, ids)
}

func TestNoticeRoleCatchesUpOnTheEventStore(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.esdb = esdbtest.Client(t)
	r.cfg.MaxAttempts = 1000 // the outage must not kill messages in this test
	stop, _ := r.start()
	var ids []string
	for range 10 {
		ids = append(ids, r.place())
	}
	r.recv.waitAccepted(t, ids)
	stop()
	for range 30 { // placed while the notice role is down
		ids = append(ids, r.place())
	}
	r.recv.setDown(true) // and the receiver is down when it comes back
	r.start()
	refused := map[string]bool{}
	r.recv.waitFor(t, func(h hit) bool {
		if h.status == http.StatusServiceUnavailable {
			refused[h.id] = true
		}
		return len(refused) == 30
	})
	r.recv.setDown(false)
	r.recv.waitAccepted(t, ids)
	assertExactlyOnce(t, r, ids)
}

func TestReplayFromTheStartSendsNothingAgain(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	stop, _ := r.start()
	var ids []string
	for range 20 {
		ids = append(ids, r.place())
	}
	r.recv.waitAccepted(t, ids)
	stop()
	// Forget the checkpoint: every event is delivered to the subscriber again.
	if err := r.rs.Commit(context.Background(), docstore.Namespace, nil, &projections.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	r.start()
	last := r.place() // handled after every replayed event
	r.recv.waitAccepted(t, []string{last})
	assertExactlyOnce(t, r, append(ids, last))
	if p := r.messages(notice.Filter{Status: notice.StatusPending}); len(p) != 0 {
		t.Errorf("replay left %d messages pending", len(p))
	}
}

func TestRejectedMessagesGoDeadWithoutHoldingBackTheRest(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.start()
	var good, bad []string
	for i := range 30 {
		id := r.place()
		if i%10 == 3 {
			r.recv.mu.Lock()
			r.recv.reject[id] = true
			r.recv.mu.Unlock()
			bad = append(bad, id)
		} else {
			good = append(good, id)
		}
	}
	r.waitSettled(append(good, bad...))
	dead := r.messages(notice.Filter{Status: notice.StatusDead})
	for _, id := range bad {
		m, ok := dead[id]
		if !ok || m.Tries != 1 || m.LastError == "" {
			t.Errorf("rejected message %s = %+v, want dead after one try with its error", id, m)
		}
	}
	if len(dead) != len(bad) {
		t.Errorf("%d messages dead, want %d", len(dead), len(bad))
	}
	got := r.recv.acceptedCounts()
	for _, id := range good {
		if got[id] != 1 {
			t.Errorf("good message %s accepted %d times", id, got[id])
		}
	}
}

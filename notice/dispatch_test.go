package notice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// funcChannel is a channel whose behaviour a test writes.
type funcChannel struct {
	mu    sync.Mutex
	sends map[string]int
	send  func(ctx context.Context, m Message, try int) error
}

func newFuncChannel(send func(ctx context.Context, m Message, try int) error) *funcChannel {
	return &funcChannel{sends: map[string]int{}, send: send}
}

func (c *funcChannel) Name() string { return "func" }

func (c *funcChannel) Send(ctx context.Context, m Message) error {
	c.mu.Lock()
	c.sends[m.ID]++
	try := c.sends[m.ID]
	c.mu.Unlock()
	return c.send(ctx, m, try)
}

func (c *funcChannel) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sends[id]
}

// watchedStore tells the test about every save, the end of each attempt.
type watchedStore struct {
	Store
	saved chan Message
}

func (s *watchedStore) Save(ctx context.Context, m Message) error {
	err := s.Store.Save(ctx, m)
	s.saved <- m
	return err
}

// waitFinal waits until every id in ids was saved as sent or dead, and
// returns the final messages.
func (s *watchedStore) waitFinal(t *testing.T, ids ...string) map[string]Message {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	got := map[string]Message{}
	timeout := time.After(20 * time.Second) // a hang guard, not a timing assertion
	for len(got) < len(want) {
		select {
		case m := <-s.saved:
			if want[m.ID] && m.Status != StatusPending {
				got[m.ID] = m
			}
		case <-timeout:
			t.Fatalf("only %d of %d messages settled", len(got), len(want))
		}
	}
	return got
}

// waitIdle waits until d has no message queued or being sent. There is no
// signal for that moment, so it polls, bounded as a hang guard.
func waitIdle(t *testing.T, d *Dispatcher) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		d.mu.Lock()
		n := len(d.inflight)
		d.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still in flight", n)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var fastRetries = DeliveryConfig{
	Workers: 4, MaxAttempts: 4, AttemptTimeout: 5 * time.Second,
	InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, PollInterval: 10 * time.Millisecond,
	ShutdownGrace: time.Millisecond,
}

func startDispatcher(t *testing.T, ch Channel, cfg DeliveryConfig) (*Dispatcher, *watchedStore) {
	t.Helper()
	s := &watchedStore{Store: NewMemoryStore(), saved: make(chan Message, 10000)}
	d := NewDispatcher(s, ch, cfg, nil, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, s
}

func msg(id string) Message {
	return Message{ID: id, Kind: KindPlaced, ReservationID: "r-" + id, To: "010-1234-5678", Text: "t"}
}

func TestDispatcherDeliversOnceEvenWhenSubmittedTwice(t *testing.T) {
	t.Parallel()
	ch := newFuncChannel(func(context.Context, Message, int) error { return nil })
	d, s := startDispatcher(t, ch, fastRetries)
	ctx := context.Background()
	if added, err := d.Submit(ctx, msg("a")); !added || err != nil {
		t.Fatalf("Submit = %v, %v", added, err)
	}
	got := s.waitFinal(t, "a")["a"]
	if added, err := d.Submit(ctx, msg("a")); added || err != nil {
		t.Fatalf("second Submit = %v, %v; want not added", added, err)
	}
	if got.Status != StatusSent || got.Tries != 1 || len(got.Attempts) != 1 || got.Attempts[0].Error != "" || got.SentAt.IsZero() {
		t.Errorf("message = %+v", got)
	}
	// Let any wrongly queued second send happen before counting.
	if _, err := d.Submit(ctx, msg("b")); err != nil {
		t.Fatal(err)
	}
	s.waitFinal(t, "b")
	if n := ch.count("a"); n != 1 {
		t.Errorf("sent %d times, want 1", n)
	}
}

func TestDispatcherRetriesTemporaryFailures(t *testing.T) {
	t.Parallel()
	ch := newFuncChannel(func(_ context.Context, m Message, try int) error {
		if try < 3 {
			return fmt.Errorf("receiver down (try %d)", try)
		}
		return nil
	})
	d, s := startDispatcher(t, ch, fastRetries)
	if _, err := d.Submit(context.Background(), msg("a")); err != nil {
		t.Fatal(err)
	}
	got := s.waitFinal(t, "a")["a"]
	if got.Status != StatusSent || got.Tries != 3 || len(got.Attempts) != 3 {
		t.Fatalf("message = %+v", got)
	}
	if got.Attempts[0].Error != "receiver down (try 1)" || got.Attempts[2].Error != "" || got.LastError != "" {
		t.Errorf("attempts = %+v", got.Attempts)
	}
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	ch := newFuncChannel(func(_ context.Context, m Message, try int) error { return fmt.Errorf("down %d", try) })
	d, s := startDispatcher(t, ch, fastRetries)
	if _, err := d.Submit(context.Background(), msg("a")); err != nil {
		t.Fatal(err)
	}
	got := s.waitFinal(t, "a")["a"]
	if got.Status != StatusDead || got.Tries != fastRetries.MaxAttempts || got.LastError != "down 4" {
		t.Errorf("message = %+v", got)
	}
	if n := ch.count("a"); n != fastRetries.MaxAttempts {
		t.Errorf("sent %d times, want %d", n, fastRetries.MaxAttempts)
	}
}

func TestDispatcherRejectedGoesDeadAtOnceAndRetryDeadRequeues(t *testing.T) {
	t.Parallel()
	var reject sync.Map
	reject.Store("bad", true)
	ch := newFuncChannel(func(_ context.Context, m Message, try int) error {
		if _, ok := reject.Load(m.ID); ok {
			return fmt.Errorf("%w: 400 Bad Request", ErrRejected)
		}
		return nil
	})
	d, s := startDispatcher(t, ch, fastRetries)
	ctx := context.Background()
	for _, id := range []string{"bad", "good1", "good2"} {
		if _, err := d.Submit(ctx, msg(id)); err != nil {
			t.Fatal(err)
		}
	}
	got := s.waitFinal(t, "bad", "good1", "good2")
	if b := got["bad"]; b.Status != StatusDead || b.Tries != 1 || b.LastError == "" {
		t.Errorf("rejected message = %+v, want dead after one try", b)
	}
	if got["good1"].Status != StatusSent || got["good2"].Status != StatusSent {
		t.Errorf("others = %+v, %+v", got["good1"], got["good2"])
	}

	reject.Delete("bad") // the gateway was fixed
	n, err := d.RetryDead(ctx, Filter{ReservationID: "r-bad"})
	if err != nil || n != 1 {
		t.Fatalf("RetryDead = %d, %v; want 1", n, err)
	}
	if b := s.waitFinal(t, "bad")["bad"]; b.Status != StatusSent || b.Tries != 1 || len(b.Attempts) != 2 {
		t.Errorf("re-queued message = %+v", b)
	}
	if n, err := d.RetryDead(ctx, Filter{}); err != nil || n != 0 {
		t.Errorf("RetryDead with nothing dead = %d, %v", n, err)
	}
}

func TestDispatcherSlowMessageDoesNotHoldBackOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{})
	ch := newFuncChannel(func(ctx context.Context, m Message, try int) error {
		if m.ID == "slow" {
			close(started)
			<-release
		}
		return nil
	})
	d, s := startDispatcher(t, ch, DeliveryConfig{Workers: 2, PollInterval: 10 * time.Millisecond})
	ctx := context.Background()
	if _, err := d.Submit(ctx, msg("slow")); err != nil {
		t.Fatal(err)
	}
	<-started
	var ids []string
	for i := range 50 {
		id := fmt.Sprintf("m%02d", i)
		ids = append(ids, id)
		if _, err := d.Submit(ctx, msg(id)); err != nil {
			t.Fatal(err)
		}
	}
	for id, m := range s.waitFinal(t, ids...) {
		if m.Status != StatusSent {
			t.Errorf("%s = %s", id, m.Status)
		}
	}
	close(release)
	if m := s.waitFinal(t, "slow")["slow"]; m.Status != StatusSent {
		t.Errorf("slow = %+v", m)
	}
}

func TestDispatcherPicksUpPendingMessagesAfterARestart(t *testing.T) {
	t.Parallel()
	mem := NewMemoryStore()
	ctx := context.Background()
	// A previous process recorded these and stopped before (or while) sending.
	for _, id := range []string{"x", "y"} {
		m := msg(id)
		m.Status, m.NextAttemptAt = StatusPending, time.Now().Add(-time.Minute)
		if _, err := mem.Add(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	s := &watchedStore{Store: mem, saved: make(chan Message, 100)}
	ch := newFuncChannel(func(context.Context, Message, int) error { return nil })
	d := NewDispatcher(s, ch, fastRetries, nil, quiet())
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	for id, m := range s.waitFinal(t, "x", "y") {
		if m.Status != StatusSent {
			t.Errorf("%s = %+v", id, m)
		}
	}
}

func TestDispatcherShutdownMidSendDoesNotCountTheTry(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	ch := newFuncChannel(func(ctx context.Context, m Message, try int) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	mem := NewMemoryStore()
	d := NewDispatcher(mem, ch, fastRetries, nil, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	if _, err := d.Submit(context.Background(), msg("a")); err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	<-done
	m, err := mem.Get(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != StatusPending || m.Tries != 0 || len(m.Attempts) != 0 {
		t.Errorf("after shutdown mid-send: %+v, want pending with no tries", m)
	}
}

func TestDispatcherShutdownLetsASendUnderWayFinish(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	ch := newFuncChannel(func(ctx context.Context, m Message, try int) error {
		close(started)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	mem := NewMemoryStore()
	cfg := fastRetries
	cfg.ShutdownGrace = time.Minute
	d := NewDispatcher(mem, ch, cfg, nil, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	if _, err := d.Submit(context.Background(), msg("a")); err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	close(release) // the receiver answers after shutdown has begun
	<-done
	m, err := mem.Get(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != StatusSent || m.Tries != 1 {
		t.Errorf("after a send finished during shutdown: %+v, want sent", m)
	}
}

func TestDispatcherHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	ch := newFuncChannel(func(_ context.Context, m Message, try int) error {
		return &RetryAfterError{Err: errors.New("429"), After: time.Hour}
	})
	d, s := startDispatcher(t, ch, fastRetries)
	before := time.Now()
	if _, err := d.Submit(context.Background(), msg("a")); err != nil {
		t.Fatal(err)
	}
	m := <-s.saved
	if m.Status != StatusPending || m.NextAttemptAt.Before(before.Add(time.Hour)) {
		t.Errorf("after a 429 asking for an hour: %+v", m)
	}
}

func TestDelayGrowsWithJitterWithinBounds(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(NewMemoryStore(), nil, DeliveryConfig{
		InitialInterval: time.Second, Multiplier: 2, MaxInterval: 30 * time.Second, Jitter: 0.5,
	}, nil, quiet())
	for n, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		5: 16 * time.Second, 6: 30 * time.Second, 12: 30 * time.Second} {
		lo, hi := base/2, base*3/2+1
		seen := map[time.Duration]bool{}
		for range 20 {
			got := d.delay(n)
			seen[got] = true
			if got < lo || got > hi {
				t.Errorf("delay(%d) = %v, want within [%v, %v]", n, got, lo, hi)
			}
		}
		if len(seen) < 2 {
			t.Errorf("delay(%d) has no jitter: %v", n, seen)
		}
	}
}

func TestDispatcherSendsTheBacklogOnceTheReceiverIsBack(t *testing.T) {
	t.Parallel()
	var down sync.Map
	down.Store("down", true)
	failed := make(chan string, 10)
	ch := newFuncChannel(func(_ context.Context, m Message, try int) error {
		if _, ok := down.Load("down"); ok {
			failed <- m.ID
			return errors.New("connection refused")
		}
		return nil
	})
	cfg := fastRetries
	cfg.InitialInterval, cfg.MaxInterval = time.Hour, time.Hour // without the catch-up, retries wait an hour
	d, s := startDispatcher(t, ch, cfg)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if _, err := d.Submit(ctx, msg(id)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		<-failed
	}
	// The catch-up covers retries that are scheduled: wait until all three
	// failures are recorded and scheduled (no attempt still in flight). A
	// failure recorded while the first success is noted waits out its own
	// backoff instead (docs/notice.md).
	waitIdle(t, d)
	down.Delete("down")
	if _, err := d.Submit(ctx, msg("d")); err != nil {
		t.Fatal(err)
	}
	for id, m := range s.waitFinal(t, "a", "b", "c", "d") {
		if m.Status != StatusSent || (id != "d" && m.Tries != 2) {
			t.Errorf("%s = %+v", id, m)
		}
	}
}

// batchStore is a memory store that saves in batches and counts the ways.
type batchStore struct {
	*MemoryStore
	mu            sync.Mutex
	singles, msgs int
}

func (s *batchStore) Save(ctx context.Context, m Message) error {
	s.mu.Lock()
	s.singles++
	s.mu.Unlock()
	return s.MemoryStore.Save(ctx, m)
}

func (s *batchStore) SaveAll(ctx context.Context, ms []Message) error {
	s.mu.Lock()
	s.msgs += len(ms)
	s.mu.Unlock()
	for _, m := range ms {
		if err := s.MemoryStore.Save(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func TestDispatcherRecordsOutcomesInBatchesWhenTheStoreCan(t *testing.T) {
	t.Parallel()
	s := &batchStore{MemoryStore: NewMemoryStore()}
	ch := newFuncChannel(func(context.Context, Message, int) error { return nil })
	d := NewDispatcher(s, ch, fastRetries, nil, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	const n = 100
	for i := range n {
		if _, err := d.Submit(context.Background(), msg(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Every submitted message was sent; wait for the last outcomes to be
	// recorded by stopping (Run returns after its recorder has finished).
	for {
		sent, _ := s.List(context.Background(), Filter{Status: StatusSent})
		if len(sent) == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.singles != 0 || s.msgs != n {
		t.Errorf("saved %d one by one and %d in batches; want all %d in batches", s.singles, s.msgs, n)
	}
}

// getFailsOnce fails the first load of each message, like a read store
// that drops a connection.
type getFailsOnce struct {
	*watchedStore
	mu     sync.Mutex
	failed map[string]bool
}

func (s *getFailsOnce) Get(ctx context.Context, id string) (Message, error) {
	s.mu.Lock()
	first := !s.failed[id]
	s.failed[id] = true
	s.mu.Unlock()
	if first {
		return Message{}, errors.New("read store unreachable")
	}
	return s.watchedStore.Get(ctx, id)
}

func TestDispatcherRetriesAMessageItCouldNotLoad(t *testing.T) {
	t.Parallel()
	ch := newFuncChannel(func(context.Context, Message, int) error { return nil })
	w := &watchedStore{Store: NewMemoryStore(), saved: make(chan Message, 100)}
	s := &getFailsOnce{watchedStore: w, failed: map[string]bool{}}
	cfg := fastRetries
	cfg.RescanInterval = time.Hour // only the dispatcher's own retry can deliver it
	d := NewDispatcher(s, ch, cfg, nil, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if _, err := d.Submit(context.Background(), msg("a")); err != nil {
		t.Fatal(err)
	}
	if got := w.waitFinal(t, "a")["a"]; got.Status != StatusSent || ch.count("a") != 1 {
		t.Errorf("message = %+v, sent %d times; want sent once", got, ch.count("a"))
	}
}

// requeueWhileRecording re-queues a message in the window between its send
// being recorded dead and the worker letting go of it, and waits for the
// dispatcher's scan to look at the store in that window.
type requeueWhileRecording struct {
	*watchedStore
	d       *Dispatcher
	once    sync.Once
	scanned chan struct{}
	armed   atomic.Bool
}

func (s *requeueWhileRecording) Save(ctx context.Context, m Message) error {
	err := s.watchedStore.Save(ctx, m)
	if m.ID == "bad" && m.Status == StatusDead {
		s.once.Do(func() {
			s.armed.Store(true)
			if n, err := s.d.RetryDead(ctx, Filter{ReservationID: "r-bad"}); n != 1 || err != nil {
				panic(fmt.Sprintf("RetryDead = %d, %v", n, err))
			}
			<-s.scanned
			time.Sleep(50 * time.Millisecond) // let the scan finish with the message still in flight
		})
	}
	return err
}

func (s *requeueWhileRecording) Due(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	ms, err := s.watchedStore.Due(ctx, now, limit)
	if s.armed.CompareAndSwap(true, false) {
		close(s.scanned)
	}
	return ms, err
}

// TestDispatcherRequeueDuringTheSendThatKilledIt: a message re-queued while
// the send that made it dead is still being let go of is sent again at
// once, not left pending in the store until the next rescan.
func TestDispatcherRequeueDuringTheSendThatKilledIt(t *testing.T) {
	t.Parallel()
	var rejected atomic.Bool
	ch := newFuncChannel(func(_ context.Context, m Message, try int) error {
		if rejected.CompareAndSwap(false, true) {
			return fmt.Errorf("%w: 400 Bad Request", ErrRejected)
		}
		return nil
	})
	s := &requeueWhileRecording{
		watchedStore: &watchedStore{Store: NewMemoryStore(), saved: make(chan Message, 100)},
		scanned:      make(chan struct{}),
	}
	cfg := fastRetries
	cfg.RescanInterval = time.Hour // only the re-queue's own scan may find it
	s.d = NewDispatcher(s, ch, cfg, nil, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	if _, err := s.d.Submit(ctx, msg("bad")); err != nil {
		t.Fatal(err)
	}
	if b := s.waitFinal(t, "bad")["bad"]; b.Status != StatusDead {
		t.Fatalf("first send = %+v, want dead", b)
	}
	if b := s.waitFinal(t, "bad")["bad"]; b.Status != StatusSent || len(b.Attempts) != 2 {
		t.Errorf("re-queued message = %+v, want sent on the second attempt", b)
	}
}

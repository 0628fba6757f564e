package notice

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// DeliveryConfig bounds the delivery of messages.
type DeliveryConfig struct {
	Workers         int           // concurrent sends; default 16
	MaxAttempts     int           // attempts before a message is dead; default 20 (about 15 minutes)
	AttemptTimeout  time.Duration // one send's limit; default 10s
	InitialInterval time.Duration // first retry delay before jitter; default 1s
	MaxInterval     time.Duration // longest retry delay before jitter; default 1m
	Multiplier      float64       // growth of the delay per attempt; default 2
	Jitter          float64       // randomisation factor of the delay in [0,1); default 0.5
	PollInterval    time.Duration // how often due retries are queued; default 200ms
	RescanInterval  time.Duration // how often the store is searched for pending messages; default 1m
	KeepAttempts    int           // attempts kept per message; default 20
	ShutdownGrace   time.Duration // how long a send under way may finish after shutdown begins; default 2s
	// OnAttempt, when set, learns each recorded attempt and the message as
	// it stands after it (sent, dead or still pending), for metrics.
	OnAttempt func(m Message, a Attempt)
}

func (c DeliveryConfig) withDefaults() DeliveryConfig {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.Multiplier < 1 {
		c.Multiplier = 2
	}
	if c.Jitter <= 0 || c.Jitter >= 1 {
		c.Jitter = 0.5
	}
	if c.KeepAttempts <= 0 {
		c.KeepAttempts = 20
	}
	def(&c.AttemptTimeout, 10*time.Second)
	def(&c.InitialInterval, time.Second)
	def(&c.MaxInterval, time.Minute)
	def(&c.PollInterval, 200*time.Millisecond)
	def(&c.RescanInterval, time.Minute)
	def(&c.ShutdownGrace, 2*time.Second)
	return c
}

// Dispatcher delivers recorded messages through a channel, at least once.
// A bounded pool of workers sends them. A failed send is retried after its
// own backoff (exponential, with jitter) so it holds back no other message;
// after MaxAttempts (or at once when the receiver rejects it for good) the
// message is dead with its last error, until it is re-queued. The store is
// the truth: the dispatcher keeps in memory only when each pending message
// is due, learnt from what it is handed and from a scan of the store at
// start and every RescanInterval (which finds messages re-queued by another
// process, or recorded while its queue was full).
//
// One Dispatcher at a time should deliver from one Store.
type Dispatcher struct {
	store Store
	ch    Channel
	cfg   DeliveryConfig
	now   func() time.Time
	log   *slog.Logger

	work  chan string
	wake  chan struct{}
	saves chan saveRequest // to the recorder, when the store saves in batches

	mu       sync.Mutex
	pending  map[string]time.Time // pending messages known here, and when each is due
	inflight map[string]bool      // queued or being sent
	// recheck holds messages a scan found pending in the store while they
	// were being sent here (re-queued by RetryDead or another process just
	// as a send recorded them dead): when the send returns, the message is
	// due again at the time given, and its attempt reads the store's state.
	recheck map[string]time.Time
	backlog bool // an offer found the queue full: poll again when there is room
	failing bool // the last send failed temporarily: the receiver may be down
	rescan  bool // scan the store at the next poll
}

// NewDispatcher returns a dispatcher; now is its clock (time.Now when nil).
func NewDispatcher(store Store, ch Channel, cfg DeliveryConfig, now func() time.Time, log *slog.Logger) *Dispatcher {
	cfg = cfg.withDefaults()
	if now == nil {
		now = time.Now
	}
	return &Dispatcher{
		store: store, ch: ch, cfg: cfg, now: now, log: log,
		work:     make(chan string, max(1024, 4*cfg.Workers)),
		wake:     make(chan struct{}, 1),
		pending:  map[string]time.Time{},
		inflight: map[string]bool{},
		recheck:  map[string]time.Time{},
	}
}

// Channel returns the channel messages go out through.
func (d *Dispatcher) Channel() Channel { return d.ch }

// Submit records m as pending and queues it for an immediate attempt. A
// message whose ID is already recorded is left alone, however it fared:
// that is what keeps a redelivered event from being sent twice. It reports
// whether m was new, and returns the store's error.
func (d *Dispatcher) Submit(ctx context.Context, m Message) (bool, error) {
	now := d.now().UTC()
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.Status, m.Tries, m.Attempts, m.NextAttemptAt = StatusPending, 0, nil, now
	added, err := d.store.Add(ctx, m)
	if err != nil {
		return false, fmt.Errorf("record message %s: %w", m.ID, err)
	}
	if added {
		d.Queue(m.ID)
	}
	return added, nil
}

// Queue asks for an immediate attempt at messages already recorded pending
// (by a subscriber that writes them in its own unit of work). IDs that are
// not recorded, or not pending, are dropped when their turn comes.
func (d *Dispatcher) Queue(ids ...string) {
	now := d.now()
	d.mu.Lock()
	for _, id := range ids {
		if _, ok := d.pending[id]; !ok {
			d.pending[id] = now
		}
	}
	d.mu.Unlock()
	for _, id := range ids {
		if !d.offer(id) {
			return // the queue is full: the next poll continues
		}
	}
}

// RetryDead re-queues the dead messages that f selects (its Status is
// ignored), with fresh attempts, and returns how many it re-queued.
func (d *Dispatcher) RetryDead(ctx context.Context, f Filter) (int, error) {
	n, err := Requeue(ctx, d.store, f, d.now())
	if n > 0 {
		d.mu.Lock()
		d.rescan = true
		d.mu.Unlock()
		d.poke()
	}
	return n, err
}

// Requeue marks the dead messages f selects pending again, due at now, for
// whichever dispatcher delivers from s, and returns how many it changed.
func Requeue(ctx context.Context, s Store, f Filter, now time.Time) (int, error) {
	f.Status = StatusDead
	dead, err := s.List(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("list dead messages: %w", err)
	}
	n := 0
	for _, m := range dead {
		m.Status, m.Tries, m.NextAttemptAt = StatusPending, 0, now.UTC()
		if err := s.Save(ctx, m); err != nil {
			return n, fmt.Errorf("requeue %s: %w", m.ID, err)
		}
		n++
	}
	return n, nil
}

// Run delivers until ctx is done, then waits for its workers (a send under
// way gets ShutdownGrace to finish). A send cut short by shutdown is not
// counted: the message stays pending, and goes out again after a restart
// under the same ID, which receivers de-duplicate by.
func (d *Dispatcher) Run(ctx context.Context) error {
	if bs, ok := d.store.(BatchSaver); ok {
		d.saves = make(chan saveRequest, d.cfg.Workers)
		recorded := make(chan struct{})
		go func() { d.recorder(bs); close(recorded) }()
		defer func() { close(d.saves); <-recorded }() // after the workers have returned
	}
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Go(func() { d.worker(ctx) })
	}
	d.scan(ctx)
	poll := time.NewTicker(d.cfg.PollInterval)
	defer poll.Stop()
	rescan := time.NewTicker(d.cfg.RescanInterval)
	defer rescan.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-rescan.C:
			d.scan(ctx)
		case <-poll.C:
			d.poll(ctx)
		case <-d.wake:
			d.poll(ctx)
		}
	}
	wg.Wait()
	return nil
}

func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// scan learns every pending message in the store and when it is due.
func (d *Dispatcher) scan(ctx context.Context) {
	all, err := d.store.Due(ctx, d.now().AddDate(100, 0, 0), 0)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("notice: find pending messages", "err", err)
		}
		return
	}
	d.mu.Lock()
	for _, m := range all {
		if d.inflight[m.ID] {
			d.recheck[m.ID] = m.NextAttemptAt
		} else {
			d.pending[m.ID] = m.NextAttemptAt
		}
	}
	d.mu.Unlock()
	d.poll(ctx)
}

// poll queues the due messages that are not queued or being sent already,
// the longest waiting first.
func (d *Dispatcher) poll(ctx context.Context) {
	d.mu.Lock()
	if d.rescan {
		d.rescan = false
		d.mu.Unlock()
		d.scan(ctx)
		return
	}
	now := d.now()
	type due struct {
		id string
		at time.Time
	}
	var ready []due
	for id, at := range d.pending {
		if !d.inflight[id] && !at.After(now) {
			ready = append(ready, due{id, at})
		}
	}
	d.mu.Unlock()
	slices.SortFunc(ready, func(a, b due) int { return a.at.Compare(b.at) })
	for _, r := range ready {
		if !d.offer(r.id) {
			return // the queue is full; polled again as soon as it has room
		}
	}
}

// offer queues id unless it is queued or being sent; it reports false only
// when the queue is full.
func (d *Dispatcher) offer(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[id] {
		return true
	}
	select {
	case d.work <- id:
		d.inflight[id] = true
		return true
	default:
		d.backlog = true
		return false
	}
}

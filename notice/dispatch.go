package notice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
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
	PollInterval    time.Duration // how often the store is searched for due messages; default 1s
	KeepAttempts    int           // attempts kept per message; default 20
	ShutdownGrace   time.Duration // how long a send under way may finish after shutdown begins; default 2s
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
	def(&c.PollInterval, time.Second)
	def(&c.ShutdownGrace, 2*time.Second)
	return c
}

// Dispatcher delivers recorded messages through a channel, at least once:
// a bounded pool of workers sends them; a failed send is retried on its own
// timer with exponential backoff and jitter, so it holds back no other
// message; after MaxAttempts (or at once when the receiver rejects it for
// good) a message is dead with its last error, until it is re-queued. A
// poller finds messages whose timers were lost (a restart, a full queue).
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
	backlog  bool            // an offer found the queue full: poll again when there is room
	failing  bool            // the last send failed temporarily: the receiver may be down
	catchUp  bool            // the receiver is back: send what waits for a retry now, not at its time
	inflight map[string]bool // queued or being sent
	timers   map[string]*time.Timer
	stopped  bool
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
		inflight: map[string]bool{},
		timers:   map[string]*time.Timer{},
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
		d.offer(m.ID)
	}
	return added, nil
}

// Queue asks for an immediate attempt at messages already recorded pending
// (by a subscriber that writes them in its own unit of work). IDs that are
// not recorded, or not pending, are skipped when their turn comes.
func (d *Dispatcher) Queue(ids ...string) {
	for _, id := range ids {
		if !d.offer(id) {
			return // the rest are pending in the store: the poller gets them
		}
	}
}

// RetryDead re-queues the dead messages that f selects (its Status is
// ignored), with fresh attempts, and returns how many it re-queued.
func (d *Dispatcher) RetryDead(ctx context.Context, f Filter) (int, error) {
	n, err := Requeue(ctx, d.store, f, d.now())
	if n > 0 {
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
	d.poll(ctx)
	ticker := time.NewTicker(d.cfg.PollInterval)
	defer ticker.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-ticker.C:
			d.poll(ctx)
		case <-d.wake:
			d.poll(ctx)
		}
	}
	d.mu.Lock()
	d.stopped = true
	for id, t := range d.timers {
		t.Stop()
		delete(d.timers, id)
	}
	d.mu.Unlock()
	wg.Wait()
	return nil
}

func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// poll queues the due messages that are not already queued or being sent.
// After an outage (a send succeeds after failures) it also queues those
// still waiting for a retry, so a receiver that comes back gets its backlog
// now rather than when each backoff ends.
func (d *Dispatcher) poll(ctx context.Context) {
	d.mu.Lock()
	catchUp := d.catchUp
	d.mu.Unlock()
	horizon := d.now()
	if catchUp {
		horizon = horizon.Add(2 * d.cfg.MaxInterval) // beyond any backoff with jitter
	}
	limit := cap(d.work) + d.cfg.Workers
	due, err := d.store.Due(ctx, horizon, limit)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("notice: find due messages", "err", err)
		}
		return
	}
	for _, m := range due {
		if !d.offer(m.ID) {
			return // the queue is full; polled again as soon as it has room
		}
	}
	if catchUp && len(due) < limit {
		d.mu.Lock()
		d.catchUp = false
		d.mu.Unlock()
	}
}

// offer queues id unless it is queued or being sent; it reports false only
// when the queue is full.
func (d *Dispatcher) offer(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[id] || d.stopped {
		return true
	}
	select {
	case d.work <- id:
		d.inflight[id] = true
		return true
	default:
		d.backlog = true
		return false // the poller finds it later: it is pending in the store
	}
}

func (d *Dispatcher) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-d.work:
			retry, in := d.attempt(ctx, id)
			d.mu.Lock()
			delete(d.inflight, id)
			backlog := d.backlog && len(d.work) < cap(d.work)/2
			if backlog {
				d.backlog = false
			}
			d.mu.Unlock()
			if backlog {
				d.poke() // refill the queue from the store now, not at the next tick
			}
			if retry {
				d.retryAfter(id, in)
			}
		}
	}
}

// attempt sends the message id once and records how it went. It returns
// whether and when to try again.
func (d *Dispatcher) attempt(ctx context.Context, id string) (retry bool, in time.Duration) {
	m, err := d.store.Get(ctx, id)
	if err != nil {
		// Not found: queued from a subscriber batch that was not committed.
		if ctx.Err() == nil && !errors.Is(err, ErrNotFound) {
			d.log.Warn("notice: load message", "id", id, "err", err)
		}
		return false, 0
	}
	if m.Status != StatusPending {
		return false, 0
	}
	// A send under way when shutdown begins gets a grace period to finish:
	// cutting it short could leave the receiver with a message whose
	// delivery is not recorded, to be sent again after the restart.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.AttemptTimeout)
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(d.cfg.ShutdownGrace, cancel) })
	start := d.now()
	sendErr := d.ch.Send(sendCtx, m)
	stopGrace()
	cancel()
	if sendErr != nil && ctx.Err() != nil {
		return false, 0 // shutting down: not the receiver's fault; try again after the restart
	}
	end := d.now()
	d.noteHealth(sendErr)
	a := Attempt{At: start.UTC(), Channel: d.ch.Name(), Duration: end.Sub(start)}
	var retryIn time.Duration
	switch {
	case sendErr == nil:
		m.Status, m.SentAt, m.LastError = StatusSent, end.UTC(), ""
	case errors.Is(sendErr, ErrRejected):
		a.Error = sendErr.Error()
		m.Status, m.LastError = StatusDead, a.Error
	default:
		a.Error = sendErr.Error()
		m.LastError = a.Error
		if m.Tries+1 >= d.cfg.MaxAttempts {
			m.Status = StatusDead
		} else {
			retryIn = max(d.delay(m.Tries+1), RetryAfter(sendErr))
			m.NextAttemptAt = end.Add(retryIn).UTC()
		}
	}
	m.Tries++
	m.Attempts = append(m.Attempts, a)
	if over := len(m.Attempts) - d.cfg.KeepAttempts; over > 0 {
		m.Attempts = m.Attempts[over:]
	}
	// Record the outcome even when shutdown has begun: the receiver may have
	// the message, and forgetting that would send it again after a restart.
	saveCtx, cancelSave := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.AttemptTimeout)
	defer cancelSave()
	if err := d.record(saveCtx, m); err != nil {
		// A sent message stays pending and may go out again: at least once,
		// and the receiver de-duplicates by its ID.
		d.log.Error("notice: record attempt", "id", id, "err", err)
		retryIn = d.cfg.PollInterval
	}
	d.logAttempt(ctx, m, a)
	return m.Status == StatusPending, retryIn
}

// noteHealth follows whether the receiver seems up; the first success after
// a temporary failure starts a catch-up poll.
func (d *Dispatcher) noteHealth(sendErr error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case sendErr == nil:
		if d.failing {
			d.failing, d.catchUp = false, true
			defer d.poke()
		}
	case errors.Is(sendErr, ErrRejected), RetryAfter(sendErr) > 0:
		// The receiver is up: it refused one message, or asked to slow down
		// (pulling its backlog forward would defeat that).
	default:
		d.failing = true
	}
}

// delay returns the backoff before retry number n (1 for the first retry).
func (d *Dispatcher) delay(n int) time.Duration {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     d.cfg.InitialInterval,
		RandomizationFactor: d.cfg.Jitter,
		Multiplier:          d.cfg.Multiplier,
		MaxInterval:         d.cfg.MaxInterval,
	}
	b.Reset()
	var next time.Duration
	for range n {
		next = b.NextBackOff()
	}
	return next
}

// retryAfter offers id again after delay, on a timer of its own.
func (d *Dispatcher) retryAfter(id string, delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	if old := d.timers[id]; old != nil {
		old.Stop()
	}
	d.timers[id] = time.AfterFunc(delay, func() {
		d.mu.Lock()
		delete(d.timers, id)
		d.mu.Unlock()
		d.offer(id)
	})
}

func (d *Dispatcher) logAttempt(ctx context.Context, m Message, a Attempt) {
	attrs := []slog.Attr{
		slog.String("id", m.ID), slog.String("kind", string(m.Kind)),
		slog.String("channel", a.Channel), slog.Int("try", m.Tries), slog.String("status", string(m.Status)),
	}
	switch {
	case a.Error == "":
		d.log.LogAttrs(ctx, slog.LevelDebug, "notice delivered", attrs...)
	case m.Status == StatusDead:
		d.log.LogAttrs(ctx, slog.LevelError, "notice dead", append(attrs, slog.String("err", a.Error))...)
	default:
		d.log.LogAttrs(ctx, slog.LevelWarn, "notice delivery failed", append(attrs,
			slog.String("err", a.Error), slog.Time("next", m.NextAttemptAt))...)
	}
}

// BatchSaver is a Store that can record many messages in one write (one
// transaction, one sync), which the dispatcher uses to group the outcomes
// of its workers' attempts. SaveAll need not check that the messages exist.
type BatchSaver interface {
	SaveAll(ctx context.Context, ms []Message) error
}

type saveRequest struct {
	ctx  context.Context
	m    Message
	done chan error
}

// record saves the outcome of an attempt: through the recorder when the
// store saves in batches, else directly.
func (d *Dispatcher) record(ctx context.Context, m Message) error {
	if d.saves == nil {
		return d.store.Save(ctx, m)
	}
	req := saveRequest{ctx: ctx, m: m, done: make(chan error, 1)}
	d.saves <- req
	return <-req.done
}

// recorder writes the outcomes that arrive together in one batch: with a
// store whose every write is a synced transaction, the workers would
// otherwise queue behind each other's syncs.
func (d *Dispatcher) recorder(bs BatchSaver) {
	for req := range d.saves {
		batch := []saveRequest{req}
	more:
		for len(batch) < 512 {
			select {
			case r, ok := <-d.saves:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		ms := make([]Message, len(batch))
		for i, r := range batch {
			ms[i] = r.m
		}
		err := bs.SaveAll(batch[0].ctx, ms)
		for _, r := range batch {
			r.done <- err
		}
	}
}

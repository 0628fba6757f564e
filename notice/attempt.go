package notice

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
)

func (d *Dispatcher) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-d.work:
			next := d.attempt(ctx, id)
			d.mu.Lock()
			delete(d.inflight, id)
			if at, ok := d.recheck[id]; ok {
				delete(d.recheck, id)
				if next.IsZero() || at.Before(next) {
					next = at
				}
			}
			if next.IsZero() {
				delete(d.pending, id)
			} else {
				d.pending[id] = next
			}
			refill := d.backlog && len(d.work) < cap(d.work)/2
			if refill {
				d.backlog = false
			}
			d.mu.Unlock()
			if refill {
				d.poke() // refill the queue now, not at the next tick
			}
		}
	}
}

// attempt sends the message id once and records how it went. It returns
// when to try again, or the zero time when the message is done with (sent,
// dead, or not pending any more).
func (d *Dispatcher) attempt(ctx context.Context, id string) (next time.Time) {
	m, err := d.store.Get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound) || (err != nil && ctx.Err() != nil):
		return time.Time{} // queued from a subscriber batch that was not committed, or shutting down
	case err != nil:
		// The store failed, not the message: look again soon rather than
		// leave it to the next scan of the store.
		d.log.Warn("notice: load message", "id", id, "err", err)
		return d.now().Add(time.Second)
	}
	if m.Status != StatusPending {
		return time.Time{}
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
		return time.Time{} // shutting down: not the receiver's fault; pending in the store for the restart
	}
	end := d.now()
	d.noteHealth(sendErr)
	a := Attempt{At: start.UTC(), Channel: d.ch.Name(), Duration: end.Sub(start)}
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
			m.NextAttemptAt = end.Add(max(d.delay(m.Tries+1), RetryAfter(sendErr))).UTC()
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
		return end.Add(time.Second)
	}
	d.logAttempt(ctx, m, a)
	if d.cfg.OnAttempt != nil {
		d.cfg.OnAttempt(m, a)
	}
	if m.Status != StatusPending {
		return time.Time{}
	}
	return m.NextAttemptAt
}

// noteHealth follows whether the receiver seems up; the first success after
// a temporary failure starts a catch-up poll.
func (d *Dispatcher) noteHealth(sendErr error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case sendErr == nil:
		if d.failing {
			// Everything waiting for a retry is due now.
			d.failing = false
			now := d.now()
			for id, at := range d.pending {
				if at.After(now) {
					d.pending[id] = now
				}
			}
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

package projections

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// DefaultLeaseTTL is how long a lease lasts without a renewal unless a
// Keeper is told otherwise.
const DefaultLeaseTTL = 10 * time.Second

// errLeaseLost is the cause a holding's context is cancelled with.
var errLeaseLost = errors.New("projections: lease lost")

// Keeper runs work under leases, so that of the replicas of a process that
// share a read store exactly one applies each subscriber at a time. The
// holder renews every Renew; a standby tries to take the lease every Retry,
// so after its holder dies it takes over within TTL plus Retry (the lease
// expires at most TTL after the last renewal). The holder counts its lease
// as lost, and stops the work at once, when a renewal is refused or when
// none has succeeded for TTL on its own clock (measured from before the
// call that set the store's expiry, so it gives up no later than the store
// lets a standby in, for clocks in step).
type Keeper struct {
	Leases Leases
	// Holder names this replica in the leases: unique per process, so a
	// restarted process is a new holder.
	Holder string
	TTL    time.Duration // default DefaultLeaseTTL
	Renew  time.Duration // default TTL/3
	Retry  time.Duration // default TTL/20
	Logger *slog.Logger
	// OnHeld, if set, learns each time this replica starts (true) or stops
	// (false) holding lease name, for the lease-holder gauge.
	OnHeld func(name string, held bool)
}

func (k *Keeper) ttl() time.Duration {
	if k.TTL <= 0 {
		return DefaultLeaseTTL
	}
	return k.TTL
}

func (k *Keeper) renewEvery() time.Duration {
	if k.Renew <= 0 {
		return k.ttl() / 3
	}
	return k.Renew
}

func (k *Keeper) retryEvery() time.Duration {
	if k.Retry <= 0 {
		return k.ttl() / 20
	}
	return k.Retry
}

func (k *Keeper) log() *slog.Logger {
	if k.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return k.Logger
}

func (k *Keeper) held(name string, held bool) {
	if k.OnHeld != nil {
		k.OnHeld(name, held)
	}
}

// Hold runs work each time this replica holds lease name, until ctx ends,
// and returns ctx's error then. work's context is cancelled as soon as the
// lease is lost; work must then return, and the replica goes back to
// standing by. When work returns on its own the lease is released at once
// (a graceful shutdown hands over without waiting for the TTL); an error
// from it is returned after the release.
func (k *Keeper) Hold(ctx context.Context, name string, work func(ctx context.Context, l Lease) error) error {
	log := k.log().With("lease", name, "holder", k.Holder)
	standing := false
	for {
		start := time.Now()
		l, err := k.Leases.Acquire(ctx, name, k.Holder, k.ttl())
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrLeaseHeld):
			if !standing {
				log.Info("standing by: another replica holds the lease", "by", l.Holder)
				standing = true
			}
		case err != nil:
			log.Warn("take the lease", "err", err)
		default:
			standing = false
			log.Info("lease taken", "token", l.Token)
			err := k.holding(ctx, log, l, start, work)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				return err
			}
			continue // lost: stand by again
		}
		if !sleep(ctx, k.retryEvery()) {
			return ctx.Err()
		}
	}
}

// holding runs work while l lasts. It returns work's error, or nil when
// the lease was lost.
func (k *Keeper) holding(ctx context.Context, log *slog.Logger, l Lease, start time.Time,
	work func(ctx context.Context, l Lease) error) error {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	k.held(l.Name, true)
	done := make(chan error, 1)
	go func() { done <- work(wctx, l) }()
	ttl := k.ttl()
	expire := time.NewTimer(ttl - time.Since(start))
	defer expire.Stop()
	renew := time.NewTicker(k.renewEvery())
	defer renew.Stop()
	lost := func(why string, err error) error {
		log.Warn("lease lost; stopping at once", "why", why, "err", err)
		cancel(errLeaseLost)
		<-done
		k.held(l.Name, false)
		return nil
	}
	for {
		select {
		case err := <-done:
			k.held(l.Name, false) // before the release lets a standby in
			rctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			rerr := k.Leases.Release(rctx, l)
			stop()
			if rerr != nil && !errors.Is(rerr, ErrLeaseLost) {
				log.Warn("release the lease", "err", rerr)
			} else if rerr == nil {
				log.Info("lease released")
			}
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrFenced) {
				return err
			}
			return nil
		case <-expire.C:
			return lost("no renewal succeeded for the lease's TTL", nil)
		case <-renew.C:
			at := time.Now()
			rctx, stop := context.WithDeadline(ctx, start.Add(ttl))
			next, err := k.Leases.Renew(rctx, l, ttl)
			stop()
			switch {
			case errors.Is(err, ErrLeaseLost):
				return lost("the store refused the renewal", err)
			case err != nil:
				if ctx.Err() == nil {
					log.Warn("renew the lease", "err", err)
				}
			default:
				l, start = next, at
				expire.Reset(ttl - time.Since(start))
			}
		}
	}
}

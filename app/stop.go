package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/vetclinic/clinic/httpapi"
)

// shutdownCheck is the first check of /readyz: not ready from the moment
// the process is told to stop.
func (e *serveEnv) shutdownCheck() readyCheck {
	return readyCheck{Name: "shutdown", Check: func(context.Context) error {
		if e.draining.Load() {
			return httpapi.ErrShuttingDown
		}
		return nil
	}}
}

// stop shuts the process down once ctx has ended, in the order that loses
// nothing, all within the grace: /readyz says not ready (and the server
// goes on serving for Config.ShutdownDelay, if set); the server closes
// its listener (new connections are refused) and its idle connections, and
// waits for the requests in flight to be answered; then the workers are
// stopped and waited for (a projection commits its documents and checkpoint
// in one transaction, so a batch is either committed or taken again after a
// restart, never half); the stores are closed after this returns. It
// returns an error when the grace ran out first.
func (e *serveEnv) stop(ctx context.Context, srv *http.Server, httpDone <-chan struct{}, stopWork func(), workers *sync.WaitGroup) error {
	e.draining.Store(true)
	grace := e.cfg.ShutdownGrace
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	start := time.Now()
	e.log.Info("shutting down", "grace", grace, "delay", e.cfg.ShutdownDelay)
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if d := e.cfg.ShutdownDelay; d > 0 {
		// Still serving, but not ready: a load balancer that polls /readyz
		// stops sending before the listener closes.
		select {
		case <-time.After(d):
		case <-graceCtx.Done():
		}
	}
	var errs []error
	if err := srv.Shutdown(graceCtx); err != nil {
		// The grace ran out with requests unanswered: cut them.
		srv.Close()
		errs = append(errs, fmt.Errorf("requests still in flight after the grace (%s): %w", grace, err))
	}
	<-httpDone
	e.log.Info("requests finished; stopping the workers", "after", time.Since(start).Round(time.Millisecond))
	stopWork()
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-graceCtx.Done():
		errs = append(errs, fmt.Errorf("workers still running after the grace (%s)", grace))
	}
	e.log.Info("stopped", "after", time.Since(start).Round(time.Millisecond))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

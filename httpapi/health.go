package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/projections"
)

// ErrShuttingDown is what a process's shutdown check returns once it was
// told to stop: /readyz then says not ready at once, so load balancers stop
// sending it requests while it finishes the ones it has.
var ErrShuttingDown = errors.New("httpapi: shutting down")

// ReadyCheck is one part of /readyz. Check returns nil while its part can
// do its work, else why not.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// readyTimeout bounds one /readyz: each check gets this long, all of them
// at once, so a store that does not answer makes the probe fail, not hang.
const readyTimeout = 2 * time.Second

// healthz answers while the process serves: liveness only. HEAD answers
// the same without the body.
func (s *Server) healthz(c *gin.Context) {
	probeAnswer(c, http.StatusOK, map[string]string{"status": "ok"})
}

// readyResponse is /readyz's body when ready: the verdict and each check.
type readyResponse struct {
	Status string        `json:"status"`
	Checks []readyResult `json:"checks"`
}

// notReadyProblem is /readyz's 503: the not-ready problem, its detail the
// first failed check's reason, with each check as an extension member.
type notReadyProblem struct {
	problem
	Checks []readyResult `json:"checks"`
}

type readyResult struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok or failed
	Detail string `json:"detail,omitempty"`
}

// readyz runs every check at once and answers 200 when all pass, else 503
// problem+json (not-ready) saying which failed, with Retry-After, so a load
// balancer stops sending requests that would fail anyway. HEAD answers the
// same without the body.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	errs := make([]error, len(s.cfg.Ready))
	var wg sync.WaitGroup
	for i, rc := range s.cfg.Ready {
		wg.Go(func() { errs[i] = rc.Check(ctx) })
	}
	wg.Wait()
	checks := make([]readyResult, len(errs))
	detail := ""
	for i, err := range errs {
		name := s.cfg.Ready[i].Name
		checks[i] = readyResult{Name: name, Status: "ok"}
		if err == nil {
			continue
		}
		d := notReadyDetail(err)
		checks[i].Status, checks[i].Detail = "failed", d
		if detail == "" {
			detail = d
		}
		if !errors.Is(err, ErrShuttingDown) {
			s.log.WarnContext(ctx, "not ready", "check", name, "err", err)
		}
	}
	if detail == "" {
		probeAnswer(c, http.StatusOK, readyResponse{Status: "ready", Checks: checks})
		return
	}
	p := problem{Type: kindNotReady.uri(), Title: kindNotReady.title, Status: kindNotReady.status,
		Detail: detail, Instance: c.Request.URL.Path}
	noteOutcome(c, p)
	c.Header("Retry-After", s.retryAfter())
	c.Header("Content-Type", "application/problem+json")
	c.Status(p.Status)
	if c.Request.Method != http.MethodHead {
		_ = writeJSON(c.Writer, notReadyProblem{problem: p, Checks: checks})
	}
}

// probeAnswer answers a health probe: v as JSON, or for HEAD the same
// status and Content-Type without a body.
func probeAnswer(c *gin.Context, status int, v any) {
	if c.Request.Method == http.MethodHead {
		c.Header("Content-Type", "application/json; charset=utf-8")
		c.Status(status)
		return
	}
	respond(c, status, v)
}

// problemDocs serves the page behind each problem type URI.
func (s *Server) problemDocs(c *gin.Context) {
	slug := c.Param("slug")
	for _, k := range allKinds() {
		if k.slug == slug {
			respond(c, http.StatusOK, map[string]any{"type": k.uri(), "title": k.title, "status": k.status})
			return
		}
	}
	s.writeError(c, &requestError{kind: kindNotFound, detail: "no such problem type"})
}

// notReadyDetail says why the process is not ready, without internals.
func notReadyDetail(err error) string {
	var lag *LagError
	switch {
	case errors.Is(err, ErrShuttingDown):
		return "the process is shutting down; it finishes the requests it has and takes no new ones"
	case errors.As(err, &lag):
		return lag.Error()
	case errors.Is(err, commands.ErrCannotWrite):
		return cannotWriteDetail(err)
	case errors.Is(err, projections.ErrCannotWrite):
		return "the read store cannot write (its storage failed, for instance a full disk); the read models are not updated until it works again, which needs no restart"
	case errors.Is(err, ErrBreakerOpen):
		return "the event store failed recently and calls to it are paused (circuit breaker open); readiness returns once a call succeeds"
	}
	return "the event store is not reachable"
}

// ErrBreakerOpen is what a command role's breaker check returns while its
// circuit breaker is not closed.
var ErrBreakerOpen = errors.New("httpapi: event store circuit breaker open")

// LagError is what a query role's check returns for a read model further
// behind the head of $all than its bound: its message is shown to callers.
type LagError struct {
	ReadModel string
	Lag, Max  time.Duration
}

func (e *LagError) Error() string {
	return "read model " + e.ReadModel + " is " + e.Lag.Round(time.Millisecond).String() +
		" behind the event store (ready within " + e.Max.String() + ")"
}

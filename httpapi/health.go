package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/projections"
)

// healthz answers while the process serves: liveness only. HEAD answers
// the same without the body.
func (s *Server) healthz(c *gin.Context) {
	probeAnswer(c, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the event store is reachable and the stores can
// write, else 503 problem+json (not-ready) saying which, with Retry-After,
// so a load balancer stops sending requests that would fail anyway. HEAD
// answers the same without the body.
func (s *Server) readyz(c *gin.Context) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "err", err)
			p := problem{Type: kindNotReady.uri(), Title: kindNotReady.title, Status: kindNotReady.status,
				Detail: notReadyDetail(err), Instance: c.Request.URL.Path}
			noteOutcome(c, p)
			c.Header("Retry-After", s.retryAfter())
			if c.Request.Method == http.MethodHead {
				problemRender{p}.WriteContentType(c.Writer)
				c.Status(p.Status)
				return
			}
			c.Render(p.Status, problemRender{p})
			return
		}
	}
	probeAnswer(c, http.StatusOK, map[string]string{"status": "ready"})
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
	switch {
	case errors.Is(err, commands.ErrCannotWrite):
		return cannotWriteDetail(err)
	case errors.Is(err, projections.ErrCannotWrite):
		return "the read store cannot write (its storage failed, for instance a full disk); the read models are not updated until it works again, which needs no restart"
	}
	return "the event store is not reachable"
}

package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz answers while the process serves: liveness only.
func (s *Server) healthz(c *gin.Context) {
	respond(c, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the event store is reachable, else 503, so a load
// balancer stops sending commands that would fail anyway.
func (s *Server) readyz(c *gin.Context) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "err", err)
			c.Header("Retry-After", "2")
			respond(c, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "detail": "the event store is not reachable"})
			return
		}
	}
	respond(c, http.StatusOK, map[string]string{"status": "ready"})
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

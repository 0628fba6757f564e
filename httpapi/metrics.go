package httpapi

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// Gin context keys of the metrics middleware.
const (
	commandKey = "clinic.command" // set on the staff command routes
	outcomeKey = "clinic.outcome" // the problem type's slug, set by writeError
)

// measure is the middleware that counts every request, and every staff
// command with its outcome, in the metrics registry. The labels come from
// closed sets: the route template (never the raw path) and the methods the
// registry knows.
func (s *Server) measure(c *gin.Context) {
	start := s.now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.metrics.ObserveRequest(c.Request.Method, route, c.Writer.Status(), s.now().Sub(start))
	if c.GetBool(commandKey) {
		outcome := c.GetString(outcomeKey)
		if outcome == "" {
			outcome = "ok"
		}
		s.metrics.ObserveCommand(route, outcome)
	}
}

// markCommand marks a request as a staff command for measure.
func markCommand(c *gin.Context) {
	c.Set(commandKey, true)
	c.Next()
}

// noteOutcome keeps the problem type of an error answer for measure.
func noteOutcome(c *gin.Context, p problem) {
	c.Set(outcomeKey, strings.TrimPrefix(p.Type, "/problems/"))
}

// serveMetrics serves the registry in the Prometheus exposition format.
func (s *Server) serveMetrics(c *gin.Context) {
	s.metrics.ServeHTTP(c.Writer, c.Request)
}

package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/vetclinic/clinic/auth"
)

// logRequests logs one line per request: request ID, route, status,
// duration (and, through the logger's handler, the trace and span IDs).
// Server errors are logged at error level by writeError, with their cause.
// The request ID is the caller's X-Request-Id when it is a plain token,
// else a new one; it is echoed in the response so that a caller can quote
// it.
func (s *Server) logRequests(c *gin.Context) {
	start := s.now()
	id := c.GetHeader(requestIDHeader)
	if !validRequestID(id) {
		id = uuid.NewString()
	}
	c.Header(requestIDHeader, id)
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	ctx := c.Request.Context()
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetName(c.Request.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route), attribute.String("clinic.request_id", id))
	}
	s.log.InfoContext(ctx, "http request", "request_id", id,
		"method", c.Request.Method, "route", route, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", s.now().Sub(start).Round(time.Microsecond))
}

// requestIDHeader carries a request's ID, both ways.
const requestIDHeader = "X-Request-Id"

// validRequestID accepts a caller's request ID of 1 to 128 letters, digits
// and -_.:, so that what is logged and echoed cannot forge log lines or
// headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

// recoverPanics turns a panic in a handler into a logged 500 problem, so one
// bad request cannot take the process down.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v) // the client went away; net/http handles it
		}
		s.log.ErrorContext(c.Request.Context(), "handler panicked",
			"method", c.Request.Method, "path", c.Request.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if !c.Writer.Written() {
			s.writeError(c, fmt.Errorf("panic: %v", v))
		}
		c.Abort()
	}()
	c.Next()
}

// principalKey is where authenticate keeps the caller in the gin context.
const principalKey = "clinic.principal"

// authenticate requires a valid bearer token and stores its principal.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		s.writeError(c, &requestError{kind: kindUnauthenticated, detail: "send Authorization: Bearer <token>"})
		return
	}
	p, err := s.cfg.Verifier.Verify(c.Request.Context(), strings.TrimSpace(token))
	if err != nil {
		if errors.Is(err, auth.ErrProviderUnavailable) {
			s.log.WarnContext(c.Request.Context(), "cannot verify a token", "path", c.Request.URL.Path, "err", err)
			s.writeError(c, &requestError{kind: kindUnavailable, detail: "the sign-in provider cannot be reached to check the token; try again shortly"})
			return
		}
		s.log.InfoContext(c.Request.Context(), "token refused", "path", c.Request.URL.Path, "err", err)
		detail := "the token is invalid or expired"
		if errors.Is(err, auth.ErrUnknownKey) {
			detail = "the token is signed by an unknown key"
		}
		s.writeError(c, &requestError{kind: kindUnauthenticated, detail: detail})
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// allow lets through only callers with one of roles (after authenticate).
func (s *Server) allow(roles ...string) gin.HandlerFunc {
	need := strings.Join(roles, " or ")
	return func(c *gin.Context) {
		if !principal(c).HasAnyRole(roles...) {
			s.writeError(c, &requestError{kind: kindForbidden, detail: "this needs the " + need + " role"})
			return
		}
		c.Next()
	}
}

// principal is the authenticated caller of c (zero outside /api/v1).
func principal(c *gin.Context) auth.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(auth.Principal)
	return pr
}

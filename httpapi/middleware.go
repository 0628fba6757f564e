package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/auth"
)

// logRequests logs one line per request: route, status, duration. Server
// errors are logged at error level by writeError, with their cause.
func (s *Server) logRequests(c *gin.Context) {
	start := s.now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.log.InfoContext(c.Request.Context(), "http request",
		"method", c.Request.Method, "route", route, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", s.now().Sub(start).Round(time.Microsecond))
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

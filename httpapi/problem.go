package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/commands"
)

// problem is an RFC 9457 problem detail, the body of every error response.
type problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []fieldError `json:"errors,omitempty"`
}

// fieldError names one failing field of a 422.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemKind is one stable problem type. Its slug makes the type URI
// (/problems/<slug>, served by this API), which clients may switch on.
type problemKind struct {
	slug   string
	status int
	title  string
}

func (k problemKind) uri() string { return "/problems/" + k.slug }

// The problem kinds of the HTTP layer itself. The domain's come from
// domainErrors, the command side's from errorKinds.
var (
	kindMalformed       = problemKind{"malformed-request", http.StatusBadRequest, "The request is malformed"}
	kindUnauthenticated = problemKind{"unauthenticated", http.StatusUnauthorized, "A valid bearer token is required"}
	kindForbidden       = problemKind{"forbidden", http.StatusForbidden, "Your role may not do this"}
	kindNotFound        = problemKind{"not-found", http.StatusNotFound, "Not found"}
	kindMethod          = problemKind{"method-not-allowed", http.StatusMethodNotAllowed, "Method not allowed"}
	kindLinkExpired     = problemKind{"link-expired", http.StatusGone, "This link has expired"}
	kindTooLarge        = problemKind{"request-too-large", http.StatusRequestEntityTooLarge, "The request body is too large"}
	kindHeaderTooLarge  = problemKind{"header-too-large", http.StatusRequestHeaderFieldsTooLarge, "The request header is too large"}
	kindTooMany         = problemKind{"too-many-requests", http.StatusTooManyRequests, "Too many requests; please slow down"}
	kindMediaType       = problemKind{"unsupported-media-type", http.StatusUnsupportedMediaType, "Send application/json"}
	kindStale           = problemKind{"stale-revision", http.StatusPreconditionFailed, "The resource changed since you read it"}
	kindValidation      = problemKind{"validation", http.StatusUnprocessableEntity, "The request has invalid fields"}
	kindKeyReused       = problemKind{"idempotency-key-reused", http.StatusUnprocessableEntity, "This Idempotency-Key was already used with another request"}
	kindUnavailable     = problemKind{"unavailable", http.StatusServiceUnavailable, "The clinic is busy; please try again shortly"}
	kindNotReady        = problemKind{"not-ready", http.StatusServiceUnavailable, "The clinic is not ready to serve requests"}
	kindCannotWrite     = problemKind{"storage-failed", http.StatusServiceUnavailable, "The clinic cannot store changes right now: its storage failed"}
	kindInternal        = problemKind{"internal", http.StatusInternalServerError, "Something went wrong on our side"}
)

// requestError is an error of the request itself (bad JSON, bad path
// parameter, bad header), answered with its kind and a detail the caller can
// act on.
type requestError struct {
	kind   problemKind
	detail string
	fields []fieldError
}

func (e *requestError) Error() string { return e.kind.title + ": " + e.detail }

func malformed(detail string) error { return &requestError{kind: kindMalformed, detail: detail} }

// invalid is a 422 naming the failing fields.
func invalid(fields ...fieldError) error {
	return &requestError{kind: kindValidation, detail: "see errors for the failing fields", fields: fields}
}

// writeError answers c with the problem for err. It is the one place that
// maps errors to statuses: request errors by their kind, domain errors by
// their Kind and Code, command and store errors through errorKinds, and
// anything else as a logged 500 whose detail stays in the log.
func (s *Server) writeError(c *gin.Context, err error) {
	p := s.problemFor(err)
	p.Instance = c.Request.URL.Path
	noteOutcome(c, p)
	if p.Status == http.StatusServiceUnavailable {
		c.Header("Retry-After", s.retryAfter())
	}
	if p.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="clinic"`)
	}
	switch {
	case p.Type == kindCannotWrite.uri():
		// The store logged the outage once, as an error; one per request
		// would bury it.
		s.log.WarnContext(c.Request.Context(), "request refused: the event store cannot write",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", p.Status, "err", err)
	case p.Status >= 500:
		s.log.ErrorContext(c.Request.Context(), "request failed",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", p.Status, "err", err)
	}
	c.Abort()
	c.Render(p.Status, problemRender{p})
}

// retryAfter is the Retry-After of a 503, in whole seconds (at least 1).
func (s *Server) retryAfter() string {
	return strconv.Itoa(max(1, int(s.cfg.RetryAfter.Round(time.Second)/time.Second)))
}

func (s *Server) problemFor(err error) problem {
	var re *requestError
	if errors.As(err, &re) {
		return problem{Type: re.kind.uri(), Title: re.kind.title, Status: re.kind.status, Detail: re.detail, Errors: re.fields}
	}
	if p, ok := domainProblem(err); ok {
		return p
	}
	for _, m := range errorKinds() {
		if errors.Is(err, m.err) {
			p := problem{Type: m.kind.uri(), Title: m.kind.title, Status: m.kind.status, Detail: err.Error()}
			if m.kind.status >= 500 {
				p.Detail = "" // store internals are for the log, not the caller
			}
			if m.kind == kindCannotWrite {
				p.Detail = cannotWriteDetail(err)
			}
			if m.kind == kindKeyReused {
				// The chain names streams; the caller needs the rule.
				p.Detail = "this key was sent before, by you, to this route with another body; nothing was written: send a new Idempotency-Key for a new request"
			}
			return p
		}
	}
	return problem{Type: kindInternal.uri(), Title: kindInternal.title, Status: kindInternal.status}
}

// cannotWriteDetail says what is wrong when the event store cannot write:
// the store's own reason (disk full, I/O error), never a path or a stack.
func cannotWriteDetail(err error) string {
	reason := "its storage failed"
	var sf *commands.StorageFailure
	if errors.As(err, &sf) && sf.Reason != "" {
		reason = sf.Reason
	}
	return "the event store cannot write (" + reason + "); changes are refused until its storage works again, which needs no restart; try again later"
}

// problemRender writes a problem as application/problem+json.
type problemRender struct{ p problem }

func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return writeJSON(w, r.p)
}

func (r problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
}

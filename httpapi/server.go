// Package httpapi is the clinic's HTTP API (gin): the staff command API and
// the catalogue under /api/v1, health probes, and problem+json errors.
package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/metrics"
)

// TokenVerifier checks a bearer token; *auth.Verifier is one.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (auth.Principal, error)
}

// Config holds what the server needs. Parts that are nil are not served
// (their routes are not registered), so one process can run a subset of the
// roles.
type Config struct {
	Logger   *slog.Logger
	Now      func() time.Time
	Verifier TokenVerifier
	// Ready are the checks of whether the server can do its work (the
	// event store answers, the stores can write, the read models are
	// current); /readyz runs them all and answers 503 while one fails.
	Ready []ReadyCheck
	// Clinic is the clinic's configuration: doctors and fees.
	Clinic *clinic.Clinic
	// Commands runs the staff commands (the command role).
	Commands CommandService
	// RetryAfter is what a 503 tells the client to wait (default 2s).
	RetryAfter time.Duration
	// Lookup answers the read side's queries (the query role).
	Lookup LookupService
	// LookupLimit bounds each client's customer lookups (by id, with or
	// without a token, and by phone); zero means no bound.
	LookupLimit RateLimit
	// StatusLinks checks the capability links of the customers' status
	// page; with Lookup it serves /status/<token> and its JSON. Nil serves
	// neither.
	StatusLinks StatusLinks
	// StatusLinkExpiry is how long a status link works after its visit is
	// done (zero: DefaultStatusLinkExpiry).
	StatusLinkExpiry time.Duration
	// Notifications lists the messages sent to customers and re-queues dead ones (the notice role).
	Notifications Notifications
	// Admin administers the projections: status, parked events, rebuilds
	// (the projector role).
	Admin ProjectionAdmin
	// CORSOrigins are the web origins (https://app.example.com) whose
	// browser apps may call the API; none by default.
	CORSOrigins []string
	// Metrics counts the requests and serves /metrics; nil makes a registry
	// of this server's own.
	Metrics *metrics.Registry
	// TracerProvider, if set, traces every request: a server span per
	// request (continuing a caller's W3C traceparent), named after its
	// route, whose context the handlers' work (a command's steps) is traced
	// in. Nil traces nothing and adds no middleware.
	TracerProvider trace.TracerProvider
	// Console, if set, is the staff's web console, served under /console/
	// (GET and HEAD; it is a page, not an operation of the API).
	Console http.Handler
	// StreamHeartbeat is how often an idle event stream sends a comment
	// (default DefaultStreamHeartbeat).
	StreamHeartbeat time.Duration
}

// Server is the HTTP API. Build it with New; it is an http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	engine  *gin.Engine
	handler http.Handler // engine, wrapped in the tracing middleware when tracing is on
	metrics *metrics.Registry
	// shutdown is closed by CloseStreams, which ends the event streams.
	shutdown chan struct{}
	closing  sync.Once
	// statusPages are the status page's templates by language.
	statusPages statusTemplates
}

// New returns the API with every route registered.
func New(cfg Config) *Server {
	// Release mode only silences gin's debug route printing; it is a package
	// setting in gin, so set it before building the engine.
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, metrics: cfg.Metrics, shutdown: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	if s.cfg.RetryAfter <= 0 {
		s.cfg.RetryAfter = 2 * time.Second
	}
	if cfg.StatusLinks != nil {
		pages, err := newStatusTemplates(s.zone())
		if err != nil {
			// The templates are compiled into the binary: a test catches this.
			panic("httpapi: status page templates: " + err.Error())
		}
		s.statusPages = pages
	}
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	s.engine, s.handler = e, e
	s.routes()
	if tp := cfg.TracerProvider; tp != nil {
		s.handler = otelhttp.NewHandler(e, "http request", otelhttp.WithTracerProvider(tp),
			otelhttp.WithPropagators(propagation.TraceContext{}))
	}
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// writeJSON encodes v without HTML escaping (the API serves no HTML).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// respond writes v as JSON with status.
func respond(c *gin.Context, status int, v any) {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(status)
	_ = writeJSON(c.Writer, v)
}

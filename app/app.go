// Package app builds a clinic process from one Config: the roles it runs
// (command, query, projector, notice), the event store and read store they
// share, the HTTP API they serve, and the workers they run, until the
// process is told to stop. cmd/clinic parses the Config and calls Serve.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/httpapi"
	"github.com/vetclinic/clinic/metrics"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/statuslink"
	"github.com/vetclinic/clinic/telemetry"
)

// Config is everything a clinic process is told. cmd/clinic parses it
// from flags and the environment, once; nothing here reads either.
type Config struct {
	Listen  string // HTTP listen address
	Data    string // data folder: embedded event store, signing key, embedded read store, the recorded address
	ESDBURL string // EventStoreDB connection string; empty runs the embedded event store in <Data>/events
	Clinic  *clinic.Clinic
	// JWKSURL, when set, verifies tokens with an OIDC provider's keys;
	// empty uses the data folder's key. Issuer and Audience are required.
	JWKSURL string
	// OIDCIssuer, when set, verifies tokens of the OpenID Provider at that
	// issuer URL, whose JWKS discovery finds; Issuer is then the same URL.
	OIDCIssuer string
	Issuer     string
	Audience   string
	Roles      []string // a subset of Roles()
	Logger     *slog.Logger
	// OnListen, when set, learns the HTTP address once it listens (for
	// callers in this process, such as clinic bench).
	OnListen func(addr string)
	// For the query, projector and notice roles.
	MongoURL      string // empty keeps the read models in the embedded store
	MongoDB       string
	Notify        string // log or webhook
	WebhookURL    string
	WebhookSecret string
	NotifyLocale  string // ko or en
	ReminderHour  int    // the day-before reminder's hour in the clinic's zone
	// The clinic's rules, for the command role (zero values: the defaults
	// of package commands).
	CheckInWindow  time.Duration // how long before its slot a visit can be checked in
	DaysBack       int           // how many days back a day can be opened
	DaysAhead      int           // how many days ahead a day can be opened
	InvoiceCeiling int64         // the most one invoice may total, minor units; negative for none

	// Bounds against hostile clients. MaxConnections bounds the open
	// client connections (zero: DefaultMaxConnections); LookupRate and
	// LookupBurst bound each client address's customer lookups (a second,
	// and at once; a zero rate means no bound).
	MaxConnections int
	LookupRate     float64
	LookupBurst    int

	// LeaseTTL is how long a replica's hold on a subscriber (a projection,
	// the notice service) lasts without renewal; zero means
	// projections.DefaultLeaseTTL. A standby takes over within about this.
	LeaseTTL time.Duration

	// CORSOrigins are the web origins whose browser apps may call the API
	// (CORS); none by default.
	CORSOrigins []string

	// ReadyMaxLag is how far behind the head of $all the query role's read
	// models may be while it says ready (zero: no bound). ShutdownGrace is
	// how long the process has to stop once ctx ends (zero:
	// DefaultShutdownGrace); ShutdownDelay, within it, how long it goes on
	// serving first with /readyz saying not ready (stop.go).
	ReadyMaxLag   time.Duration
	ShutdownGrace time.Duration
	ShutdownDelay time.Duration

	// PprofListen, when set, is a loopback address serving net/http/pprof
	// and a CPU window a load generator starts and stops (profile.go);
	// the API's requests are then labelled by role as well.
	PprofListen string

	// OTelEndpoint is the OTLP/HTTP collector spans go to; empty traces
	// nothing and runs no tracing code.
	OTelEndpoint string

	// PublicURL is the base URL people reach the clinic at (links in
	// messages); empty means http://<Listen>.
	PublicURL string
	// StatusLinkKey is the base64 key of the customers' status links, the
	// same for every process; empty keeps one in the data folder.
	// StatusLinkExpiry is how long a link works once its visit is done
	// (zero: httpapi.DefaultStatusLinkExpiry).
	StatusLinkKey    string
	StatusLinkExpiry time.Duration
}

// The defaults of the clinic's rules in Config, for cmd/clinic's flags;
// the domain states them.
const (
	DefaultCheckInWindow  = reservation.DefaultCheckInWindow
	DefaultDaysBack       = schedule.DefaultDaysBack
	DefaultDaysAhead      = schedule.DefaultDaysAhead
	DefaultInvoiceCeiling = medicalrecord.DefaultCeiling
	DefaultLeaseTTL       = projections.DefaultLeaseTTL
)

// Roles are the parts one process can run.
func Roles() []string { return []string{"command", "query", "projector", "notice"} }

// serveEnv is what the roles share while they start. A role's starter adds
// its HTTP dependencies to api and its long-running work to workers.
type serveEnv struct {
	cfg     Config
	tracing telemetry.Tracing
	log     *slog.Logger
	clinic  *clinic.Clinic
	esdbURL string             // the event store's connection string, embedded or real
	esdb    *esdbclient.Client // for subscriptions; commands use their own store (esdb.Open)
	api     *httpapi.Config
	metrics *metrics.Registry // every role's metrics, served at /metrics (metrics.go)
	workers []worker
	closers []func() error // run in reverse order at shutdown
	read    *readSide      // the read store the query, projector and notice roles share (readside_roles.go)
	// embedded is the in-process event store, nil with ESDBURL.
	embedded *eventstore.Server
	// ready are the roles' checks that /readyz runs (health.go, ready.go),
	// besides the event store's ping and the shutdown check.
	ready    []readyCheck
	ping     readyCheck         // the event store answers; the command role's goes through its breaker
	draining atomic.Bool        // set when told to stop: /readyz says not ready at once
	links    *statuslink.Signer // the status links' signer, once a role asked for it (statuslinks.go)
}

// worker is a long-running part of a role (a projector, the notice sender).
// It runs until ctx ends; an error stops the whole process.
type worker struct {
	name string
	role string // its pprof label (profile.go)
	run  func(ctx context.Context) error
}

// roleStarters wires each role. Roles missing here are not built yet.
func roleStarters() map[string]func(ctx context.Context, e *serveEnv) error {
	return map[string]func(ctx context.Context, e *serveEnv) error{
		"command":   startCommand,
		"query":     startQuery,
		"projector": startProjector,
		"notice":    startNotice,
	}
}

// Serve runs the roles cfg names until ctx ends or one of them fails, and
// then shuts them down gracefully. It returns the error that stopped it, or
// nil when ctx ended.
func Serve(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clinic == nil {
		return errors.New("serve: no clinic configuration")
	}
	tracing, err := telemetry.Start(ctx, cfg.OTelEndpoint, cfg.Roles)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer func() {
		// The spans still buffered go out after everything stopped, within
		// a bound of their own.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			log.Warn("could not send the last traces", "err", err)
		}
	}()
	e := &serveEnv{cfg: cfg, log: log, clinic: cfg.Clinic, tracing: tracing}
	defer e.close()
	if cfg.PprofListen != "" {
		stop, err := startPprof(cfg.PprofListen, log)
		if err != nil {
			return err
		}
		e.closers = append(e.closers, stop)
	}
	if err := e.open(ctx); err != nil {
		return err
	}
	starters := roleStarters()
	for _, r := range cfg.Roles {
		start, ok := starters[r]
		if !ok {
			return fmt.Errorf("serve: unknown role %q (roles: %s)", r, strings.Join(Roles(), ","))
		}
		if err := start(ctx, e); err != nil {
			return fmt.Errorf("serve: start %s: %w", r, err)
		}
	}
	return e.serve(ctx)
}

// open starts or connects to the event store and sets up token
// verification.
func (e *serveEnv) open(ctx context.Context) error {
	var err error
	url := e.cfg.ESDBURL
	if url == "" {
		dir := filepath.Join(e.cfg.Data, "events")
		var srv *eventstore.Server
		// Its goroutines inherit the label, so its CPU counts as its own.
		withRole(ctx, "eventstore", func(ctx context.Context) {
			srv, err = eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir, Logger: e.log.With("component", "eventstore")})
		})
		if err != nil {
			if inUse := dataInUse(e.cfg.Data, err); inUse != nil {
				return fmt.Errorf("serve: %w", inUse)
			}
			return fmt.Errorf("serve: start embedded event store: %w", err)
		}
		e.closers = append(e.closers, srv.Close)
		e.embedded = srv
		url = srv.URL()
		e.log.Info("embedded event store started", "dir", dir, "addr", srv.Addr())
	}
	e.esdbURL = url
	if e.esdb, err = connectESDBLogged(url, e.log.With("component", "esdb-client")); err != nil {
		return err
	}
	e.closers = append(e.closers, e.esdb.Close)
	verifier, err := e.verifier(ctx)
	if err != nil {
		return err
	}
	e.ping = readyCheck{Name: "eventstore", Check: func(ctx context.Context) error { return pingESDB(ctx, e.esdb) }}
	e.metrics = metrics.New()
	e.api = &httpapi.Config{
		Metrics:     e.metrics,
		Logger:      e.log.With("component", "http"),
		Now:         time.Now,
		Verifier:    verifier,
		Clinic:      e.clinic,
		LookupLimit: httpapi.RateLimit{Rate: e.cfg.LookupRate, Burst: e.cfg.LookupBurst},
		CORSOrigins: e.cfg.CORSOrigins,
	}
	if e.tracing.Enabled {
		e.api.TracerProvider = e.tracing.Provider
	}
	return nil
}

// connectESDBLogged returns an official client for url. With a logger, the
// client's own lines (discovery attempts, subscription drops that the
// projector reports and handles itself) go to it at debug level instead of
// plain stderr.
func connectESDBLogged(url string, log *slog.Logger) (*esdbclient.Client, error) {
	cfg, err := esdbclient.ParseConnectionString(url)
	if err != nil {
		return nil, fmt.Errorf("serve: --esdb: %w", err)
	}
	if log != nil {
		cfg.Logger = esdb.ClientLogger(log)
	}
	c, err := esdbclient.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("serve: connect event store: %w", err)
	}
	return c, nil
}

// pingESDB reads the last event of $all: cheap, and it fails when the store
// cannot serve.
func pingESDB(ctx context.Context, c *esdbclient.Client) error {
	s, err := c.ReadAll(ctx, esdbclient.ReadAllOptions{Direction: esdbclient.Backwards, From: esdbclient.End{}}, 1)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func (e *serveEnv) verifier(ctx context.Context) (*auth.Verifier, error) {
	if e.cfg.OIDCIssuer != "" {
		e.log.Info("verifying tokens of the OpenID Provider", "issuer", e.cfg.OIDCIssuer, "audience", e.cfg.Audience)
		keys := auth.NewDiscovery(e.cfg.OIDCIssuer, auth.JWKSOptions{})
		go func() { // find the provider now, so the log says early whether it answers
			if jwks, err := keys.Discover(ctx); err != nil {
				e.log.Warn("the OpenID Provider does not answer yet; tokens get 503 until it does", "err", err)
			} else {
				e.log.Info("found the OpenID Provider's keys", "jwks", jwks)
			}
		}()
		return auth.NewVerifier(keys, e.cfg.OIDCIssuer, e.cfg.Audience, time.Now, 30*time.Second), nil
	}
	if e.cfg.JWKSURL != "" {
		e.log.Info("verifying tokens with the JWKS", "url", e.cfg.JWKSURL, "issuer", e.cfg.Issuer, "audience", e.cfg.Audience)
		return auth.NewVerifier(auth.NewJWKS(e.cfg.JWKSURL, auth.JWKSOptions{}), e.cfg.Issuer, e.cfg.Audience, time.Now, 30*time.Second), nil
	}
	path := auth.KeyPath(e.cfg.Data)
	key, err := auth.LoadOrCreateKey(path)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	e.log.Info("verifying tokens signed with the data folder's key; print one with: clinic token --data "+e.cfg.Data+" --role staff --subject nurse-kim", "key", path)
	keys := auth.NewIssuer(key, e.cfg.Issuer, e.cfg.Audience, time.Now).Keys()
	return auth.NewVerifier(keys, e.cfg.Issuer, e.cfg.Audience, time.Now, 30*time.Second), nil
}

// serve runs the HTTP API and the workers until ctx ends or one fails, then
// shuts down within the grace (stop.go).
func (e *serveEnv) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", e.cfg.Listen)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	if e.links != nil && e.cfg.PublicURL == "" {
		// Links name the address really listened on (a port 0 is chosen now).
		if err := e.links.SetPublicURL(PublicURL("", ln.Addr().String())); err != nil {
			ln.Close()
			return err
		}
	}
	e.api.Ready = append([]readyCheck{e.shutdownCheck(), e.ping}, e.ready...)
	api := httpapi.New(*e.api)
	var h http.Handler = api
	if e.cfg.PprofListen != "" {
		h = labelRequests(h)
	}
	srv, ln := httpServer(h, ln, e.cfg.MaxConnections, e.log)
	// Shutdown waits for requests to finish; the event streams never would.
	srv.RegisterOnShutdown(api.CloseStreams)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The workers outlive ctx: they stop after the HTTP server has
	// finished its requests (a request may wait for a projection).
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			cancel(fmt.Errorf("http: %w", err))
		}
	}()
	var workers sync.WaitGroup
	for _, w := range e.workers {
		workers.Go(func() {
			withRole(workCtx, w.role, func(ctx context.Context) {
				if err := w.run(ctx); err != nil && workCtx.Err() == nil {
					cancel(fmt.Errorf("%s: %w", w.name, err))
				}
			})
		})
	}
	unrecord, err := recordServe(e.cfg.Data, ln.Addr())
	if err != nil {
		e.log.Warn("the CLIs will need --server", "err", err)
		unrecord = func() {}
	}
	defer unrecord()
	e.log.Info("clinic serving", "addr", ln.Addr().String(), "roles", strings.Join(e.cfg.Roles, ","), "recorded", RecordFile(e.cfg.Data))
	if e.cfg.OnListen != nil {
		e.cfg.OnListen(ln.Addr().String())
	}
	<-ctx.Done()
	stopErr := e.stop(ctx, srv, httpDone, stopWork, &workers)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serve: %w", err)
	}
	return stopErr
}

func (e *serveEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		if err := e.closers[i](); err != nil {
			e.log.Warn("close", "err", err)
		}
	}
}

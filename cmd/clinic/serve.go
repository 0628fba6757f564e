package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/httpapi"
)

// serveConfig is everything `clinic serve` is told, parsed once.
type serveConfig struct {
	listen     string
	data       string
	esdbURL    string
	configPath string
	jwksURL    string
	issuer     string
	audience   string
	roles      []string
	logLevel   slog.Level
	// onListen, when set, learns the HTTP address once it listens (for
	// callers in this process, such as clinic bench).
	onListen func(addr string)
	// For the query, projector and notice roles.
	mongoURL      string
	mongoDB       string
	notify        string
	webhookURL    string
	webhookSecret string
	notifyLocale  string // ko or en (notices.go)
	reminderHour  int    // the day-before reminder's hour in the clinic's zone
}

// allRoles are the parts one serve process can run; --roles picks a subset.
var allRoles = []string{"command", "query", "projector", "notice"}

func parseServe(args []string, getenv env, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.data, "data", "./data", "data folder (embedded event store, signing key, read models)")
	fs.StringVar(&c.esdbURL, "esdb", "", "EventStoreDB connection string; empty runs the embedded event store in <data>/events")
	fs.StringVar(&c.configPath, "config", "", "clinic configuration file (JSON); empty uses the embedded example clinic")
	fs.StringVar(&c.jwksURL, "jwks-url", "", "verify tokens with this JWKS (an OIDC provider); empty uses the data folder's key")
	fs.StringVar(&c.issuer, "issuer", auth.DefaultIssuer, "required token issuer (iss)")
	fs.StringVar(&c.audience, "audience", auth.DefaultAudience, "required token audience (aud)")
	roles := fs.String("roles", strings.Join(allRoles, ","), "comma-separated roles to run: "+strings.Join(allRoles, ","))
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.mongoURL, "mongo", "", "MongoDB connection string for the read models; empty uses the embedded store")
	fs.StringVar(&c.mongoDB, "mongo-db", "clinic", "MongoDB database of the read models")
	fs.StringVar(&c.notify, "notify", "log", "notice channel: log or webhook")
	fs.StringVar(&c.webhookURL, "webhook-url", "", "webhook notice endpoint")
	fs.StringVar(&c.webhookSecret, "webhook-secret", "", "webhook signing secret (whsec_...)")
	fs.StringVar(&c.notifyLocale, "notify-locale", "ko", "language of customer messages: ko or en")
	fs.IntVar(&c.reminderHour, "reminder-hour", 18, "hour (0-23, clinic's time zone) of the day before a visit when its reminder goes out")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if err := c.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("serve: --log-level: %w", err)
	}
	// The JWT library skips the iss or aud check when the expected value is
	// empty: an empty flag would quietly accept any provider's tokens.
	if strings.TrimSpace(c.issuer) == "" || strings.TrimSpace(c.audience) == "" {
		return c, errors.New("serve: --issuer and --audience must not be empty")
	}
	for _, r := range strings.Split(*roles, ",") {
		r = strings.TrimSpace(r)
		if !slices.Contains(allRoles, r) {
			return c, fmt.Errorf("serve: --roles: unknown role %q (roles: %s)", r, strings.Join(allRoles, ","))
		}
		if !slices.Contains(c.roles, r) {
			c.roles = append(c.roles, r)
		}
	}
	return c, nil
}

// serveEnv is what the roles share while they start. A role's starter adds
// its HTTP dependencies to api and its long-running work to workers.
type serveEnv struct {
	cfg     serveConfig
	log     *slog.Logger
	clinic  *clinic.Clinic
	esdbURL string             // the event store's connection string, embedded or real
	esdb    *esdbclient.Client // for subscriptions; commands use their own store (esdb.Open)
	api     *httpapi.Config
	workers []worker
	closers []func() error // run in reverse order at shutdown
	read    *readSide      // the read store the query, projector and notice roles share (readside_roles.go)
}

// worker is a long-running part of a role (a projector, the notice sender).
// It runs until ctx ends; an error stops the whole process.
type worker struct {
	name string
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

// runServe runs the clinic until ctx ends (SIGINT/SIGTERM in main).
func runServe(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stderr)
}

// serve runs the clinic configured by cfg, logging to stderr.
func serve(ctx context.Context, cfg serveConfig, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	e := &serveEnv{cfg: cfg, log: log}
	defer e.close()
	if err := e.open(ctx); err != nil {
		return err
	}
	starters := roleStarters()
	for _, r := range cfg.roles {
		start, ok := starters[r]
		if !ok {
			log.Warn("role not built yet; skipping it", "role", r)
			continue
		}
		if err := start(ctx, e); err != nil {
			return fmt.Errorf("serve: start %s: %w", r, err)
		}
	}
	return e.serve(ctx)
}

// open loads the clinic, starts or connects to the event store and sets up
// token verification.
func (e *serveEnv) open(ctx context.Context) error {
	var err error
	if e.clinic, err = loadClinic(e.cfg.configPath); err != nil {
		return err
	}
	if e.cfg.configPath == "" {
		e.log.Info("no --config given: using the example clinic embedded in the binary", "clinic", e.clinic.Name)
	} else {
		e.log.Info("clinic configuration loaded", "file", e.cfg.configPath, "clinic", e.clinic.Name)
	}
	url := e.cfg.esdbURL
	if url == "" {
		dir := filepath.Join(e.cfg.data, "events")
		srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir, Logger: e.log.With("component", "eventstore")})
		if err != nil {
			return fmt.Errorf("serve: start embedded event store: %w", err)
		}
		e.closers = append(e.closers, srv.Close)
		url = srv.URL()
		e.log.Info("embedded event store started", "dir", dir, "addr", srv.Addr())
	}
	e.esdbURL = url
	if e.esdb, err = connectESDBLogged(url, e.log.With("component", "esdb-client")); err != nil {
		return err
	}
	e.closers = append(e.closers, e.esdb.Close)
	verifier, err := e.verifier()
	if err != nil {
		return err
	}
	e.api = &httpapi.Config{
		Logger:   e.log.With("component", "http"),
		Now:      time.Now,
		Verifier: verifier,
		Clinic:   e.clinic,
		Ready:    func(ctx context.Context) error { return pingESDB(ctx, e.esdb) },
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

func (e *serveEnv) verifier() (*auth.Verifier, error) {
	if e.cfg.jwksURL != "" {
		e.log.Info("verifying tokens with the JWKS", "url", e.cfg.jwksURL, "issuer", e.cfg.issuer, "audience", e.cfg.audience)
		return auth.NewVerifier(auth.NewJWKS(e.cfg.jwksURL, auth.JWKSOptions{}), e.cfg.issuer, e.cfg.audience, time.Now, 30*time.Second), nil
	}
	path := auth.KeyPath(e.cfg.data)
	key, err := auth.LoadOrCreateKey(path)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	e.log.Info("verifying tokens signed with the data folder's key; print one with: clinic token --data "+e.cfg.data+" --role staff --subject nurse-kim", "key", path)
	keys := auth.NewIssuer(key, e.cfg.issuer, e.cfg.audience, time.Now).Keys()
	return auth.NewVerifier(keys, e.cfg.issuer, e.cfg.audience, time.Now, 30*time.Second), nil
}

// serve runs the HTTP API and the workers until ctx ends or one fails, then
// shuts everything down gracefully.
func (e *serveEnv) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", e.cfg.listen)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           httpapi.New(*e.api),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			cancel(fmt.Errorf("http: %w", err))
		}
	})
	for _, w := range e.workers {
		wg.Go(func() {
			if err := w.run(ctx); err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("%s: %w", w.name, err))
			}
		})
	}
	unrecord, err := recordServe(e.cfg.data, ln.Addr())
	if err != nil {
		e.log.Warn("the CLIs will need --server", "err", err)
		unrecord = func() {}
	}
	defer unrecord()
	e.log.Info("clinic serving", "addr", ln.Addr().String(), "roles", strings.Join(e.cfg.roles, ","), "recorded", serveFile(e.cfg.data))
	if e.cfg.onListen != nil {
		e.cfg.onListen(ln.Addr().String())
	}
	<-ctx.Done()
	e.log.Info("shutting down")
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		e.log.Warn("http shutdown", "err", err)
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func (e *serveEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		if err := e.closers[i](); err != nil {
			e.log.Warn("close", "err", err)
		}
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vetclinic/clinic/app"
	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/httpapi"
)

// serveConfig is everything `clinic serve` is told, parsed once: the
// application's configuration, and what main turns into parts of it (the
// clinic file, the log level).
type serveConfig struct {
	app.Config
	configPath string
	logLevel   slog.Level
	logJSON    bool // --log-format json
}

func parseServe(args []string, getenv env, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	allRoles := app.Roles()
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.Data, "data", "./data", "data folder (embedded event store, signing key, read models)")
	fs.StringVar(&c.ESDBURL, "esdb", "", "EventStoreDB connection string; empty runs the embedded event store in <data>/events")
	fs.StringVar(&c.configPath, "config", "", "clinic configuration file (JSON); empty uses the embedded example clinic")
	fs.StringVar(&c.JWKSURL, "jwks-url", "", "verify tokens with this JWKS (an OIDC provider); empty uses the data folder's key")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", "", "verify tokens of this OpenID Provider, found by discovery (its JWKS and issuer); for instance https://sso.example.com/realms/clinic")
	fs.StringVar(&c.Issuer, "issuer", auth.DefaultIssuer, "required token issuer (iss); with --oidc-issuer, the provider's issuer")
	fs.StringVar(&c.Audience, "audience", auth.DefaultAudience, "required token audience (aud)")
	roles := fs.String("roles", strings.Join(allRoles, ","), "comma-separated roles to run: "+strings.Join(allRoles, ","))
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	format := fs.String("log-format", "text", "log format: text or json (one JSON object a line, with request_id, trace_id and span_id where known)")
	fs.StringVar(&c.OTelEndpoint, "otel-endpoint", "",
		"OpenTelemetry collector to send traces to over OTLP/HTTP (http://collector:4318); empty sends none. The standard OTEL_* variables the SDK reads still apply")
	fs.StringVar(&c.MongoURL, "mongo", "", "MongoDB connection string for the read models; empty uses the embedded store")
	fs.StringVar(&c.MongoDB, "mongo-db", "clinic", "MongoDB database of the read models")
	fs.StringVar(&c.Notify, "notify", "log", "notice channel: log or webhook")
	fs.StringVar(&c.WebhookURL, "webhook-url", "", "webhook notice endpoint")
	fs.StringVar(&c.WebhookSecret, "webhook-secret", "", "webhook signing secret (whsec_...)")
	fs.StringVar(&c.NotifyLocale, "notify-locale", "ko", "language of customer messages: ko or en")
	fs.IntVar(&c.MaxConnections, "max-connections", 0, "most open client connections at once; 0 is half the file descriptor limit, at most 4096")
	fs.Float64Var(&c.LookupRate, "lookup-rate", 5, "customer lookups a second per client address (0: no limit)")
	fs.IntVar(&c.LookupBurst, "lookup-burst", 20, "customer lookups per client address at once, above --lookup-rate")
	fs.IntVar(&c.ReminderHour, "reminder-hour", 18, "hour (0-23, clinic's time zone) of the day before a visit when its reminder goes out")
	fs.DurationVar(&c.CheckInWindow, "check-in-window", app.DefaultCheckInWindow,
		"how long before its slot a visit can be checked in (a clinic that checks in the day before sets 36h)")
	fs.IntVar(&c.DaysBack, "open-days-back", app.DefaultDaysBack, "how many days before today a doctor's day can be opened")
	fs.IntVar(&c.DaysAhead, "open-days-ahead", app.DefaultDaysAhead, "how many days after today a doctor's day can be opened")
	fs.DurationVar(&c.LeaseTTL, "lease-ttl", app.DefaultLeaseTTL,
		"how long a projector or notice replica's hold on a subscriber lasts unrenewed; a standby replica takes over within about this")
	fs.DurationVar(&c.ReadyMaxLag, "ready-max-lag", app.DefaultReadyMaxLag,
		"a query role is ready while each read model is at most this far behind the event store (the age of the oldest event it has not taken in); 0 for no bound")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", app.DefaultShutdownGrace,
		"once told to stop (SIGTERM), how long to finish requests in flight, stop the workers and close the stores; within Kubernetes' terminationGracePeriodSeconds")
	fs.DurationVar(&c.ShutdownDelay, "shutdown-delay", 0,
		"within --shutdown-grace, how long to go on serving after SIGTERM with /readyz saying not ready, for load balancers that poll it (Kubernetes' preStop pause does this for a Service)")
	ceiling := fs.Int64("invoice-ceiling", app.DefaultInvoiceCeiling,
		"the most one invoice may total, in minor units of the clinic's currency (KRW: won); 0 for no ceiling")
	fs.Var((*originList)(&c.CORSOrigins), "cors-origin",
		"a web origin (https://app.example.com) whose browser apps may call the API; repeat it or separate origins with commas; none by default")
	fs.StringVar(&c.PublicURL, "public-url", "",
		"the base URL people reach the clinic at (https://clinic.example.com), for the links in customer messages; empty is http://<listen address>")
	fs.StringVar(&c.StatusLinkKey, "status-link-key", "",
		"base64 key (32 bytes: openssl rand -base64 32) signing the customers' status links, the same for every process; empty keeps one in the data folder")
	fs.DurationVar(&c.StatusLinkExpiry, "status-link-expiry", httpapi.DefaultStatusLinkExpiry,
		"how long a customer's status link keeps working after the visit is done (completed, cancelled, not attended)")
	fs.StringVar(&c.PprofListen, "pprof-listen", "",
		"loopback address (127.0.0.1:6060) serving net/http/pprof and POST /debug/pprof/cpu/start and /stop, with CPU samples labelled by role; off by default")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if c.PprofListen != "" {
		if err := app.CheckPprofListen(c.PprofListen); err != nil {
			return c, fmt.Errorf("serve: %w", err)
		}
	}
	if c.CheckInWindow <= 0 || c.DaysBack <= 0 || c.DaysAhead <= 0 || *ceiling < 0 {
		return c, errors.New("serve: --check-in-window, --open-days-back and --open-days-ahead must be positive, --invoice-ceiling not negative")
	}
	c.InvoiceCeiling = *ceiling
	if *ceiling == 0 {
		c.InvoiceCeiling = -1 // commands: none
	}
	if c.LeaseTTL < time.Second {
		return c, errors.New("serve: --lease-ttl must be at least 1s")
	}
	if c.ReadyMaxLag < 0 || c.ShutdownGrace <= 0 || c.ShutdownDelay < 0 || c.ShutdownDelay >= c.ShutdownGrace {
		return c, errors.New("serve: --ready-max-lag and --shutdown-delay must not be negative, --shutdown-grace must be positive and longer than --shutdown-delay")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return c, fmt.Errorf("serve: --public-url %q is not an http(s) URL without a query", c.PublicURL)
		}
	}
	if c.StatusLinkExpiry <= 0 {
		return c, errors.New("serve: --status-link-expiry must be positive")
	}
	if c.MaxConnections < 0 || c.LookupRate < 0 || c.LookupBurst < 1 {
		return c, errors.New("serve: --max-connections and --lookup-rate must not be negative, --lookup-burst at least 1")
	}
	if err := c.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("serve: --log-level: %w", err)
	}
	switch *format {
	case "text":
	case "json":
		c.logJSON = true
	default:
		return c, fmt.Errorf("serve: --log-format: %q is neither text nor json", *format)
	}
	if err := app.ValidOTelEndpoint(c.OTelEndpoint); err != nil {
		return c, fmt.Errorf("serve: --otel-endpoint: %w", err)
	}
	// The JWT library skips the iss or aud check when the expected value is
	// empty: an empty flag would quietly accept any provider's tokens.
	if strings.TrimSpace(c.Issuer) == "" || strings.TrimSpace(c.Audience) == "" {
		return c, errors.New("serve: --issuer and --audience must not be empty")
	}
	if c.OIDCIssuer != "" {
		if c.JWKSURL != "" {
			return c, errors.New("serve: give --oidc-issuer or --jwks-url, not both (discovery finds the JWKS)")
		}
		u, err := url.Parse(c.OIDCIssuer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c, fmt.Errorf("serve: --oidc-issuer %q is not an http(s) URL", c.OIDCIssuer)
		}
		if c.Issuer != auth.DefaultIssuer && c.Issuer != c.OIDCIssuer {
			return c, fmt.Errorf("serve: --issuer %q and --oidc-issuer %q differ; with --oidc-issuer, tokens must name the provider's issuer, so leave --issuer out", c.Issuer, c.OIDCIssuer)
		}
		c.Issuer = c.OIDCIssuer // tokens name their provider's issuer URL
	}
	for _, r := range strings.Split(*roles, ",") {
		r = strings.TrimSpace(r)
		if !slices.Contains(allRoles, r) {
			return c, fmt.Errorf("serve: --roles: unknown role %q (roles: %s)", r, strings.Join(allRoles, ","))
		}
		if !slices.Contains(c.Roles, r) {
			c.Roles = append(c.Roles, r)
		}
	}
	return c, nil
}

// runServe runs the clinic until ctx ends (SIGINT/SIGTERM in main).
func runServe(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stderr)
}

// serve loads the clinic configuration and runs the application configured
// by cfg, logging to stderr.
func serve(ctx context.Context, cfg serveConfig, stderr io.Writer) error {
	log := app.NewLogger(stderr, cfg.logLevel, cfg.logJSON)
	c, err := loadClinic(cfg.configPath)
	if err != nil {
		return err
	}
	if cfg.configPath == "" {
		log.Info("no --config given: using the example clinic embedded in the binary", "clinic", c.Name)
	} else {
		log.Info("clinic configuration loaded", "file", cfg.configPath, "clinic", c.Name)
	}
	a := cfg.Config
	a.Clinic, a.Logger = c, log
	return app.Serve(ctx, a)
}

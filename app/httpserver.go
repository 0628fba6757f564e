package app

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vetclinic/clinic/httpapi"
)

// The HTTP server's bounds against hostile or broken clients. A request
// header is a few hundred bytes (a token is under 1 KiB), so 8 KiB leaves
// room and keeps hundreds of unfinished headers to a few MiB; an unfinished
// header is dropped after readHeaderTimeout (slowloris); an idle keep-alive
// connection after idleTimeout (longer than the 60 s load balancers keep
// theirs, so they close first).
const (
	maxHeaderBytes    = 8 << 10
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
)

// DefaultMaxConnections is the bound on open client connections when
// Config.MaxConnections is zero: half the process's file descriptor limit
// (the rest is for the stores, their files and the outgoing connections),
// at most 4096.
func DefaultMaxConnections() int {
	n, ok := fileLimit()
	if !ok {
		return 4096
	}
	return int(max(64, min(4096, n/2)))
}

// httpServer returns the API's server and the listener it serves on ln: at
// most maxConns connections, small headers answered with problem+json, and
// timeouts on every phase of a connection.
func httpServer(h http.Handler, ln net.Listener, maxConns int, log *slog.Logger) (*http.Server, net.Listener) {
	if maxConns <= 0 {
		maxConns = DefaultMaxConnections()
	}
	l := httpapi.NewListener(ln, maxConns, maxHeaderBytes)
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ConnState:         l.ConnState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}, l
}

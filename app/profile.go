package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	rpprof "runtime/pprof"
	"sync"
	"time"
)

// RoleLabel is the pprof label that says which part of the process a CPU
// sample was spent in: one of Roles() or "eventstore" (the embedded event
// store). Samples without it are the Go runtime (GC, scheduler) and the
// HTTP server's connection handling outside a handler.
const RoleLabel = "role"

// withRole runs f with the goroutine labelled role; goroutines f starts
// inherit the label, so a role's workers and the event store's gRPC
// server count as theirs.
func withRole(ctx context.Context, role string, f func(ctx context.Context)) {
	rpprof.Do(ctx, rpprof.Labels(RoleLabel, role), f)
}

// labelRequests labels each request by the role that answers it: a GET or
// HEAD is the query role's (or a probe's), anything else the command
// role's. The projector's admin routes are few and not under load, so
// they count by method too.
func labelRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := "command"
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			role = "query"
		}
		withRole(r.Context(), role, func(ctx context.Context) { h.ServeHTTP(w, r.WithContext(ctx)) })
	})
}

// CheckPprofListen returns an error unless addr is a host:port on a
// loopback address: the profiles show the process's internals and the CPU
// endpoints cost it CPU, so they are never served to the network.
func CheckPprofListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--pprof-listen: %w", err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--pprof-listen: %q is not a loopback address (127.0.0.1:PORT or [::1]:PORT)", addr)
	}
	return nil
}

// cpuWindow is one CPU profile started by POST /debug/pprof/cpu/start and
// handed back by POST /debug/pprof/cpu/stop, so a load generator profiles
// exactly its load window.
type cpuWindow struct {
	mu      sync.Mutex
	buf     *bytes.Buffer // nil while no profile runs
	started time.Time
}

func (c *cpuWindow) start(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf != nil {
		writeDebugProblem(w, http.StatusConflict, "cpu-profile-running", "A CPU profile is running", "POST /debug/pprof/cpu/stop ends it first.")
		return
	}
	buf := new(bytes.Buffer)
	if err := rpprof.StartCPUProfile(buf); err != nil {
		// Another profile of this process runs (GET /debug/pprof/profile).
		writeDebugProblem(w, http.StatusConflict, "cpu-profile-running", "A CPU profile is running", err.Error())
		return
	}
	c.buf, c.started = buf, time.Now()
	w.WriteHeader(http.StatusNoContent)
}

func (c *cpuWindow) stop(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		writeDebugProblem(w, http.StatusConflict, "no-cpu-profile", "No CPU profile is running", "POST /debug/pprof/cpu/start starts one.")
		return
	}
	rpprof.StopCPUProfile()
	buf := c.buf
	c.buf = nil
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="cpu.pprof"`)
	w.Header().Set("X-Profile-Seconds", fmt.Sprintf("%.3f", time.Since(c.started).Seconds()))
	w.Write(buf.Bytes())
}

// writeDebugProblem answers with an RFC 9457 problem.
func writeDebugProblem(w http.ResponseWriter, status int, slug, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank#" + slug, "title": title, "status": status, "detail": detail})
}

// pprofHandler serves net/http/pprof under /debug/pprof/ and the CPU
// window under /debug/pprof/cpu/start and /stop (POST only).
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	var cpu cpuWindow
	mux.HandleFunc("POST /debug/pprof/cpu/start", cpu.start)
	mux.HandleFunc("POST /debug/pprof/cpu/stop", cpu.stop)
	mux.HandleFunc("/debug/pprof/cpu/{op}", func(w http.ResponseWriter, r *http.Request) {
		if op := r.PathValue("op"); op != "start" && op != "stop" {
			writeDebugProblem(w, http.StatusNotFound, "not-found", "Not found", "The CPU window has start and stop.")
			return
		}
		w.Header().Set("Allow", http.MethodPost)
		writeDebugProblem(w, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "Use POST.")
	})
	return mux
}

// startPprof serves pprofHandler on addr until the returned stop is
// called. It returns an error when addr cannot be listened on.
func startPprof(addr string, log *slog.Logger) (stop func() error, err error) {
	if err := CheckPprofListen(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve: --pprof-listen: %w", err)
	}
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: readHeaderTimeout}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof server", "err", err)
		}
	}()
	log.Info("profiles served", "addr", ln.Addr().String(), "cpu window", "POST /debug/pprof/cpu/start, /debug/pprof/cpu/stop")
	return srv.Close, nil
}

package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/projections"
)

// projectionStatus is one line of `clinic projections status`.
type projectionStatus struct {
	Name       string  `json:"name"`
	Namespace  string  `json:"namespace"`
	Building   string  `json:"building,omitempty"`
	Checkpoint uint64  `json:"checkpoint"`
	Events     uint64  `json:"events"`
	Head       uint64  `json:"head"`
	LagEvents  int     `json:"lagEvents"`
	LagSeconds float64 `json:"lagSeconds"`
	Parked     int     `json:"parked"`
	Drops      int     `json:"drops"`
	Running    bool    `json:"running"`
	LastError  string  `json:"lastError,omitempty"`
}

// otherFilters are the filters of the subscribers that share the runtime
// with the projections, by namespace, so their lag counts only their events.
func otherFilters() map[string]projections.Filter {
	return map[string]projections.Filter{docstore.Namespace: {EventTypePrefixes: notice.Types()}}
}

// maxLagCount bounds the events counted for the lag.
const maxLagCount = 1_000_000

// projectionAdmin is what the projections CLI does: locally (real servers,
// or inside clinic serve) or through the serving process's admin endpoint.
type projectionAdmin interface {
	Status(ctx context.Context) ([]projectionStatus, error)
	Parked(ctx context.Context, name string) ([]projections.Parked, error)
	ReplayParked(ctx context.Context, name string) (int, error)
	Rebuild(ctx context.Context, name string, report func(projections.Progress)) error
	Names() []string
}

// localAdmin works on the store and $all directly.
type localAdmin struct {
	rs    *readSide
	projs []projections.Projection
	log   *slog.Logger
}

var errUnknownProjection = errors.New("unknown projection")

func (a *localAdmin) Names() []string {
	var out []string
	for _, p := range a.projs {
		out = append(out, p.Subscriber.Name)
	}
	return out
}

func (a *localAdmin) find(name string) (projections.Projection, error) {
	for _, p := range a.projs {
		if p.Subscriber.Name == name {
			return p, nil
		}
	}
	return projections.Projection{}, fmt.Errorf("%w %q (projections: %v)", errUnknownProjection, name, a.Names())
}

func (a *localAdmin) Status(ctx context.Context) ([]projectionStatus, error) {
	var out []projectionStatus
	for _, p := range a.projs {
		st, err := a.status(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	// Other subscribers on the same runtime (the notice service) keep one
	// fixed namespace named after themselves: show them too, measured
	// against all the clinic's events.
	nss, err := a.rs.store.Namespaces(ctx)
	if err != nil {
		return nil, err
	}
	for _, ns := range nss {
		if strings.Contains(ns, "~") {
			continue
		}
		if _, ok, err := a.rs.store.Checkpoint(ctx, ns); err != nil || !ok {
			continue
		}
		f, ok := otherFilters()[ns]
		if !ok {
			f = projections.ClinicFilter()
		}
		st, err := a.status(ctx, projections.Projection{Subscriber: projections.Subscriber{Name: ns, Filter: f}})
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (a *localAdmin) status(ctx context.Context, p projections.Projection) (projectionStatus, error) {
	name := p.Subscriber.Name
	st := projectionStatus{Name: name, Namespace: name}
	if p.Rebuildable {
		g, err := a.rs.store.Generations(ctx, name)
		if err != nil {
			return st, err
		}
		st.Namespace = projections.Namespace(name, max(g.Live, 1))
		if g.Building > 0 {
			st.Building = projections.Namespace(name, g.Building)
		}
	}
	cp, _, err := a.rs.store.Checkpoint(ctx, st.Namespace)
	if err != nil {
		return st, err
	}
	st.Checkpoint, st.Events = cp.Position.Commit, cp.Events
	head, err := a.rs.source.Head(ctx, p.Subscriber.Filter)
	if err != nil {
		return st, err
	}
	st.Head = head.Position.Commit
	if cp.Position.Less(head.Position) {
		if st.LagEvents, err = a.rs.source.Count(ctx, cp.Position, p.Subscriber.Filter, maxLagCount); err != nil {
			return st, err
		}
		if !cp.EventTime.IsZero() {
			st.LagSeconds = head.Created.Sub(cp.EventTime).Seconds()
		} else if !head.Created.IsZero() {
			st.LagSeconds = time.Since(head.Created).Seconds()
		}
	}
	parked, err := a.rs.store.ParkedEvents(ctx, name)
	if err != nil {
		return st, err
	}
	st.Parked = len(parked)
	if len(parked) > 0 {
		st.LastError = parked[len(parked)-1].Error
	}
	if a.rs.manager != nil {
		if rst, ok := a.rs.manager.RunnerStatus(name); ok {
			st.Running, st.Drops = true, rst.Drops
			if rst.LastError != "" {
				st.LastError = rst.LastError
			}
		}
	}
	return st, nil
}

func (a *localAdmin) Parked(ctx context.Context, name string) ([]projections.Parked, error) {
	if name != "" {
		if _, err := a.find(name); err != nil {
			return nil, err
		}
	}
	return a.rs.store.ParkedEvents(ctx, name)
}

func (a *localAdmin) ReplayParked(ctx context.Context, name string) (int, error) {
	p, err := a.find(name)
	if err != nil {
		return 0, err
	}
	ns := name
	if p.Rebuildable {
		if ns, err = projections.LiveNamespace(ctx, a.rs.store, name); err != nil {
			return 0, err
		}
	}
	return projections.ReplayParked(ctx, a.rs.store, p.Subscriber, ns, time.Now)
}

func (a *localAdmin) Rebuild(ctx context.Context, name string, report func(projections.Progress)) error {
	p, err := a.find(name)
	if err != nil {
		return err
	}
	b := &projections.Rebuilder{Source: a.rs.source, Store: a.rs.store, Logger: a.log}
	return b.Rebuild(ctx, p, report)
}

// adminFile is where clinic serve writes the address and secret of its
// admin endpoint (loopback only; the file is readable by its owner only).
func adminFile(data string) string { return filepath.Join(readDir(data), "admin.json") }

type adminAddress struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
}

// serveAdmin serves a on a loopback port until ctx ends, and publishes the
// address in the data folder so `clinic projections --data` finds it.
func serveAdmin(ctx context.Context, data string, a projectionAdmin, log *slog.Logger) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("admin endpoint: %w", err)
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		ln.Close()
		return err
	}
	addr := adminAddress{Addr: ln.Addr().String(), Token: hex.EncodeToString(secret)}
	b, _ := json.Marshal(addr)
	path := adminFile(data)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("admin endpoint: %w", err)
	}
	srv := &http.Server{Handler: adminHandler(a, addr.Token, log), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		os.Remove(path)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Info("projections admin endpoint on loopback", "addr", addr.Addr, "file", path)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func adminHandler(a projectionAdmin, token string, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, err error) {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, errUnknownProjection):
			status = http.StatusNotFound
		case errors.Is(err, projections.ErrRebuildRunning):
			status = http.StatusConflict
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
	}
	ok := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st, err := a.Status(r.Context())
		if err != nil {
			fail(w, err)
			return
		}
		ok(w, st)
	})
	mux.HandleFunc("GET /parked", func(w http.ResponseWriter, r *http.Request) {
		ps, err := a.Parked(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			fail(w, err)
			return
		}
		ok(w, ps)
	})
	mux.HandleFunc("POST /replay", func(w http.ResponseWriter, r *http.Request) {
		n, err := a.ReplayParked(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			fail(w, err)
			return
		}
		ok(w, map[string]int{"replayed": n})
	})
	// POST /rebuild streams one JSON progress line per commit, then a last
	// line with "error" set or "done": true. The rebuild stops if the
	// client goes away (and is resumed by the next one).
	mux.HandleFunc("POST /rebuild", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		flusher, _ := w.(http.Flusher)
		last := time.Time{}
		err := a.Rebuild(r.Context(), r.URL.Query().Get("name"), func(p projections.Progress) {
			if time.Since(last) < 200*time.Millisecond && !p.Switched {
				return
			}
			last = time.Now()
			enc.Encode(rebuildLine{Progress: &p})
			if flusher != nil {
				flusher.Flush()
			}
		})
		if err != nil {
			log.Warn("rebuild through the admin endpoint failed", "err", err)
			enc.Encode(rebuildLine{Error: err.Error(), Busy: errors.Is(err, projections.ErrRebuildRunning)})
			return
		}
		enc.Encode(rebuildLine{Done: true})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

type rebuildLine struct {
	Progress *projections.Progress `json:"progress,omitempty"`
	Done     bool                  `json:"done,omitempty"`
	Error    string                `json:"error,omitempty"`
	Busy     bool                  `json:"busy,omitempty"`
}

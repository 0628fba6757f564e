package app

import (
	"io"
	"log/slog"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/telemetry"
)

// NewLogger returns the process's logger: text or (json) JSON lines on w
// at level, each line logged in a traced context carrying its trace_id and
// span_id.
func NewLogger(w io.Writer, level slog.Level, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if json {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(telemetry.LogHandler(h))
}

// ValidOTelEndpoint returns an error unless endpoint is empty or an http
// or https URL, as Config.OTelEndpoint must be.
func ValidOTelEndpoint(endpoint string) error { return telemetry.ValidEndpoint(endpoint) }

// Instrumentation scopes of the clinic's own spans.
const (
	scopeCommands    = "github.com/vetclinic/clinic/commands"
	scopeProjections = "github.com/vetclinic/clinic/projections"
)

// commandTracer is the command handler's tracer: nil (no spans, no trace
// context in events) unless tracing is on. A nil *telemetry.Tracer must
// not become a non-nil interface.
func (e *serveEnv) commandTracer() commands.Tracer {
	if t := e.tracing.Tracer(scopeCommands); t != nil {
		return t
	}
	return nil
}

// subscriberTracer is the projection and notice runners' tracer: nil
// unless tracing is on.
func (e *serveEnv) subscriberTracer() projections.Tracer {
	if t := e.tracing.Tracer(scopeProjections); t != nil {
		return t
	}
	return nil
}

package app

import (
	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/projections"
)

// Instrumentation scopes of the clinic's own spans.
const (
	scopeCommands    = "github.com/vetclinic/clinic/commands"
	scopeProjections = "github.com/vetclinic/clinic/projections"
)

// commandTracer is the command handler's tracer: nil (no spans, no trace
// context in events) unless tracing is on. A nil *telemetry.Tracer must
// not become a non-nil interface.
func (e *serveEnv) commandTracer() commands.Tracer {
	if t := e.cfg.Tracing.Tracer(scopeCommands); t != nil {
		return t
	}
	return nil
}

// subscriberTracer is the projection and notice runners' tracer: nil
// unless tracing is on.
func (e *serveEnv) subscriberTracer() projections.Tracer {
	if t := e.cfg.Tracing.Tracer(scopeProjections); t != nil {
		return t
	}
	return nil
}

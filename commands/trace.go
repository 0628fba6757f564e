package commands

import (
	"context"
	"encoding/json"
	"strconv"
)

// Tracer records the steps of a command as spans (package telemetry
// adapts OpenTelemetry to it). A nil Tracer in Options means none: no span
// is started and no trace context is written into events.
type Tracer interface {
	// Start begins a span named name with attributes given as key, value
	// pairs; the returned func ends it, recording a non-nil error.
	Start(ctx context.Context, name string, attrs ...string) (context.Context, func(error))
	// TraceParent is the W3C traceparent of the span in ctx, "" for none.
	TraceParent(ctx context.Context) string
}

// span starts a span of step on stream, or does nothing without a tracer.
func (h *Handler) span(ctx context.Context, name, stream string) (context.Context, func(error)) {
	if h.tracer == nil {
		return ctx, func(error) {}
	}
	return h.tracer.Start(ctx, name, "clinic.stream", stream)
}

// traced sets the metadata of proposed to the command's metadata plus the
// traceparent of the append span in ctx, so that a subscriber's span can
// link back to the request that wrote the events.
func (h *Handler) traced(ctx context.Context, c *command, proposed []Proposed) {
	if h.tracer == nil {
		return
	}
	tp := h.tracer.TraceParent(ctx)
	if tp == "" {
		return
	}
	meta, err := json.Marshal(eventMeta{CommandID: c.id, By: c.by, Request: c.request, TraceParent: tp})
	if err != nil {
		return
	}
	for i := range proposed {
		proposed[i].Metadata = meta
	}
}

// appendSpans starts, in each step's own context (its request's trace), a
// span for the group append that carries its events, and writes that
// span's trace context into those events' metadata; the caller ends the
// spans when the append returns. Without a tracer it does nothing.
func (h *Handler) appendSpans(stream string, group []member, proposed []Proposed) []func(error) {
	if h.tracer == nil {
		return nil
	}
	ends := make([]func(error), 0, len(group))
	i := 0
	for _, m := range group {
		w := m.base()
		if w.proposed == 0 || i+w.proposed > len(proposed) {
			continue
		}
		ctx, end := h.tracer.Start(w.ctx, "commands.append", "clinic.stream", stream,
			"clinic.group_size", strconv.Itoa(len(group)))
		h.traced(ctx, w.cmd, proposed[i:i+w.proposed])
		i += w.proposed
		ends = append(ends, end)
	}
	return ends
}

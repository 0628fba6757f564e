package projections

import (
	"bytes"
	"context"
	"encoding/json"
)

// Tracer records a subscriber's handling of each event as a span linked
// to the span that appended the event (package telemetry adapts
// OpenTelemetry to it). A nil Tracer means no spans, and no metadata is
// parsed for them.
type Tracer interface {
	// StartLinked begins a span named name, linked to the span context in
	// traceparent when that is valid, with attributes given as key, value
	// pairs; the returned func ends it, recording a non-nil error.
	StartLinked(ctx context.Context, name, traceparent string, attrs ...string) (context.Context, func(error))
}

// TraceParent returns the W3C traceparent the command side wrote into the
// event's metadata (docs/events.md), "" when there is none.
func (e Event) TraceParent() string {
	if !bytes.Contains(e.Metadata, []byte(`"traceparent"`)) {
		return ""
	}
	var m struct {
		TraceParent string `json:"traceparent"`
	}
	if json.Unmarshal(e.Metadata, &m) != nil {
		return ""
	}
	return m.TraceParent
}

// handle runs the subscriber's Handle on ev, in a span of its own when the
// runner has a tracer.
func (r *Runner) handle(ctx context.Context, tx *Tx, ev Event) (context.Context, error) {
	if r.Tracer == nil {
		return ctx, r.Subscriber.Handle(ctx, tx, ev)
	}
	ctx, end := r.Tracer.StartLinked(ctx, "handle "+r.Subscriber.Name, ev.TraceParent(),
		"clinic.subscriber", r.Subscriber.Name, "clinic.event.id", ev.ID, "clinic.event.type", ev.Type, "clinic.stream", ev.Stream)
	err := r.Subscriber.Handle(ctx, tx, ev)
	end(err)
	return ctx, err
}

package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Tracer starts the clinic's own spans (a command's steps, a subscriber's
// handling of one event) in the small shapes that commands.Tracer and
// projections.Tracer declare, so that those packages import no
// OpenTelemetry.
type Tracer struct{ t trace.Tracer }

// Tracer returns a Tracer of the provider named after the instrumented
// package (scope), or nil when tracing is off, which is what the packages
// take for "no spans".
func (t Tracing) Tracer(scope string) *Tracer {
	if !t.Enabled {
		return nil
	}
	return &Tracer{t.Provider.Tracer(scope)}
}

// Start begins a span named name, a child of ctx's span, with attributes
// given as key, value pairs; the returned func ends it and records a
// non-nil error as the span's status.
func (t *Tracer) Start(ctx context.Context, name string, attrs ...string) (context.Context, func(error)) {
	ctx, span := t.t.Start(ctx, name, trace.WithAttributes(kv(attrs)...))
	return ctx, ender(span)
}

// StartLinked begins a span named name as the root of a trace of its own
// (a subscriber handles an event long after, and apart from, the request
// that wrote it) linked to the span context in traceparent, when that is
// valid.
func (t *Tracer) StartLinked(ctx context.Context, name, traceparent string, attrs ...string) (context.Context, func(error)) {
	opts := []trace.SpanStartOption{trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(kv(attrs)...)}
	if sc := SpanContextOf(traceparent); sc.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	ctx, span := t.t.Start(ctx, name, opts...)
	return ctx, ender(span)
}

// TraceParent is the W3C traceparent of the span in ctx, "" for none.
func (t *Tracer) TraceParent(ctx context.Context) string { return TraceParent(ctx) }

func ender(span trace.Span) func(error) {
	return func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

func kv(attrs []string) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(attrs)/2)
	for i := 0; i+1 < len(attrs); i += 2 {
		out = append(out, attribute.String(attrs[i], attrs[i+1]))
	}
	return out
}

package telemetry

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// spanOf returns the SDK span in ctx, for tests to inspect.
func (t *Tracer) spanOf(ctx context.Context) (sdktrace.ReadOnlySpan, bool) {
	ro, ok := trace.SpanFromContext(ctx).(sdktrace.ReadOnlySpan)
	return ro, ok
}

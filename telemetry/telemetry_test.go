package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TestStartWithoutEndpointIsNoop: no endpoint, no SDK: the provider is the
// no-op one, Enabled is false and Tracer hands out nil, which the command
// and subscriber packages take for "run no tracing code".
func TestStartWithoutEndpointIsNoop(t *testing.T) {
	t.Parallel()
	tr, err := Start(context.Background(), "", []string{"command"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Provider.(noop.TracerProvider); !ok || tr.Enabled {
		t.Errorf("provider %T enabled %v, want the no-op provider, disabled", tr.Provider, tr.Enabled)
	}
	if tr.Tracer("x") != nil {
		t.Error("Tracer of disabled tracing is not nil")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestStartRefusesBadEndpoints(t *testing.T) {
	t.Parallel()
	for _, e := range []string{"collector:4318", "ftp://collector", "http://", "::"} {
		if _, err := Start(context.Background(), e, nil); err == nil {
			t.Errorf("Start(%q) accepted it", e)
		}
	}
	tr, err := Start(context.Background(), "http://127.0.0.1:1", nil)
	if err != nil || !tr.Enabled {
		t.Fatalf("Start(http URL) = %+v, %v", tr, err)
	}
	if _, ok := tr.Provider.(*sdktrace.TracerProvider); !ok {
		t.Errorf("provider %T, want the SDK's", tr.Provider)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing to flush; do not wait on the unreachable collector
	_ = tr.Shutdown(ctx)
}

// TestTraceContextRoundTrips: what TraceParent writes, SpanContextOf reads
// back, and LogHandler stamps its IDs on a record logged in its context.
func TestTraceContextRoundTrips(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "op")
	defer span.End()
	sc := span.SpanContext()
	parent := TraceParent(ctx)
	if got := SpanContextOf(parent); got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() {
		t.Errorf("SpanContextOf(%q) = %v, want %v", parent, got, sc)
	}
	if TraceParent(context.Background()) != "" || SpanContextOf("garbage").IsValid() || SpanContextOf("").IsValid() {
		t.Error("an untraced context or a bad traceparent gave a span context")
	}

	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "x")
	log.InfoContext(ctx, "traced")
	log.InfoContext(context.Background(), "untraced")
	dec := json.NewDecoder(&buf)
	var traced, untraced map[string]any
	if err := dec.Decode(&traced); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&untraced); err != nil {
		t.Fatal(err)
	}
	if traced["trace_id"] != sc.TraceID().String() || traced["span_id"] != sc.SpanID().String() || traced["component"] != "x" {
		t.Errorf("traced line = %v", traced)
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Errorf("untraced line = %v", untraced)
	}
}

// TestStartLinkedLinksAndRoots: a subscriber's span starts a trace of its
// own and links to the span in the traceparent.
func TestStartLinkedLinksAndRoots(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := &Tracer{tp.Tracer("test")}
	ctx, end := tr.Start(context.Background(), "append", "clinic.stream", "s")
	parent := tr.TraceParent(ctx)
	end(nil)
	lctx, lend := tr.StartLinked(ctx, "handle", parent)
	defer lend(nil)
	ro, ok := tr.spanOf(lctx)
	if !ok {
		t.Fatal("no SDK span")
	}
	if ro.Parent().IsValid() || len(ro.Links()) != 1 || ro.Links()[0].SpanContext.SpanID() != SpanContextOf(parent).SpanID() {
		t.Errorf("parent %v links %v, want a root linked to %s", ro.Parent(), ro.Links(), parent)
	}
}

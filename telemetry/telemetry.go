// Package telemetry adapts OpenTelemetry for the clinic: the tracer
// provider (OTLP over HTTP, or none), the W3C trace context carried in
// event metadata, and a log handler that stamps trace and span IDs on
// every record logged with a traced context.
package telemetry

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Propagator returns the one propagator the clinic uses, on HTTP requests
// and in event metadata: W3C trace context (traceparent, tracestate).
func Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// ValidEndpoint returns an error unless endpoint is "" or an http or https
// URL with a host.
func ValidEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https URL such as http://collector:4318", endpoint)
	}
	return nil
}

// Tracing is a tracer provider and how to flush and stop it.
type Tracing struct {
	Provider trace.TracerProvider
	// Enabled is false for the no-op provider: callers skip their tracing
	// paths (wrapping handlers, parsing metadata) altogether.
	Enabled  bool
	shutdown func(context.Context) error
}

// Shutdown exports the spans still buffered and stops the exporter.
func (t Tracing) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Start returns the tracing of a process: with endpoint "" the no-op
// provider (nothing is recorded or exported); otherwise an SDK provider
// that batches spans to the OTLP/HTTP collector at endpoint
// (http://collector:4318; the path /v1/traces is added when the URL has
// none). The SDK also honours the standard OTEL_* variables it reads
// itself (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
// OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS). It returns an error for an
// endpoint that is not an http or https URL.
func Start(ctx context.Context, endpoint string, roles []string) (Tracing, error) {
	if endpoint == "" {
		return Tracing{Provider: noop.NewTracerProvider()}, nil
	}
	if err := ValidEndpoint(endpoint); err != nil {
		return Tracing{}, err
	}
	u, _ := url.Parse(endpoint)
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return Tracing{}, fmt.Errorf("otel exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", "clinic"),
			attribute.StringSlice("clinic.roles", roles)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithHost())
	if err != nil {
		return Tracing{}, fmt.Errorf("otel resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return Tracing{Provider: tp, Enabled: true, shutdown: tp.Shutdown}, nil
}

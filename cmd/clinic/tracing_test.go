package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/notice/docstore"
)

// otlpReceiver is an OTLP/HTTP trace collector: it decodes each export
// (protobuf ExportTraceServiceRequest) and keeps its spans.
type otlpReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	spans   []*tracepb.Span
	exports int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want a protobuf POST to /v1/traces", http.StatusBadRequest)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		var export coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(data, &export)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.exports++
		for _, rs := range export.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				r.spans = append(r.spans, ss.GetSpans()...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) snapshot() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// spanAttr is the string attribute key of s, "" when it has none.
func spanAttr(s *tracepb.Span, key string) string {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// linksTo reports whether s links to a span of trace.
func linksTo(s *tracepb.Span, trace string) bool {
	for _, l := range s.GetLinks() {
		if hex.EncodeToString(l.GetTraceId()) == trace {
			return true
		}
	}
	return false
}

// placeBooking opens a day of dr-kim's and places a reservation with the
// request ID reqID; it returns the reservation's ID.
func placeBooking(t *testing.T, p *clinicProcess, reqID string) uuid.UUID {
	t.Helper()
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil); code != http.StatusOK {
		t.Fatalf("open day = %d", code)
	}
	var placed struct{ ID uuid.UUID }
	code, h := p.do(t, "POST", "/api/v1/reservations", staff, map[string]any{
		"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet":      map[string]string{"name": "Coco", "species": "dog"},
		"doctorId": "dr-kim", "slot": day + "T10:00:00+09:00", "reason": "vaccination",
	}, &placed, "X-Request-Id", reqID)
	if code != http.StatusCreated || h.Get("X-Request-Id") != reqID {
		t.Fatalf("place = %d, X-Request-Id %q, want 201 and %q echoed", code, h.Get("X-Request-Id"), reqID)
	}
	return placed.ID
}

// jsonLogLines returns the JSON log lines of p whose msg is msg.
func jsonLogLines(t *testing.T, p *clinicProcess, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.log.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", sc.Text(), err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// placedMetadata reads the metadata of the reservation's ReservationPlaced
// event from the process's embedded event store.
func placedMetadata(t *testing.T, p *clinicProcess, id uuid.UUID) map[string]string {
	t.Helper()
	lines := jsonLogLines(t, p, "embedded event store started")
	if len(lines) != 1 {
		t.Fatalf("want one embedded event store line, got %v", lines)
	}
	client := esdbtest.Connect(t, "esdb://"+lines[0]["addr"].(string)+"?tls=false")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rs, err := client.ReadStream(ctx, reservation.Stream(id), esdb.ReadStreamOptions{From: esdb.Start{}, Direction: esdb.Forwards}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatalf("no %s in %s", reservation.TypePlaced, reservation.Stream(id))
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Event.EventType != reservation.TypePlaced {
			continue
		}
		var meta map[string]string
		if err := json.Unmarshal(ev.Event.UserMetadata, &meta); err != nil {
			t.Fatalf("metadata %q: %v", ev.Event.UserMetadata, err)
		}
		return meta
	}
}

var traceparentRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$`)

// TestTracingFollowsABooking follows one booking from its request to the
// read models and the notice subscriber through the spans a clinic with
// every role sends to an OTLP/HTTP collector, the event's metadata and the
// request's JSON log line.
func TestTracingFollowsABooking(t *testing.T) {
	t.Parallel()
	recv := newOTLPReceiver(t)
	p := startClinic(t, "--roles", "command,query,projector,notice", "--otel-endpoint", recv.URL, "--log-format", "json")
	id := placeBooking(t, p, "booking-1")
	stream := reservation.Stream(id)

	meta := placedMetadata(t, p, id)
	m := traceparentRE.FindStringSubmatch(meta["traceparent"])
	if m == nil {
		t.Fatalf("metadata %v carries no W3C traceparent", meta)
	}
	trace, appendSpan := m[1], m[2]

	// Spans are exported in batches, every few seconds.
	var httpSpan, appended, projected, noticed bool
	var spans []*tracepb.Span
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		spans = recv.snapshot()
		httpSpan, appended, projected, noticed = false, false, false, false
		for _, s := range spans {
			inTrace := hex.EncodeToString(s.GetTraceId()) == trace
			switch {
			case inTrace && s.GetKind() == tracepb.Span_SPAN_KIND_SERVER && s.GetName() == "POST /api/v1/reservations":
				httpSpan = spanAttr(s, "clinic.request_id") == "booking-1"
			case inTrace && s.GetName() == "commands.append" && spanAttr(s, "clinic.stream") == stream:
				appended = appended || hex.EncodeToString(s.GetSpanId()) == appendSpan
			case !inTrace && spanAttr(s, "clinic.stream") == stream && spanAttr(s, "clinic.event.type") == reservation.TypePlaced && linksTo(s, trace):
				if spanAttr(s, "clinic.subscriber") == docstore.SubscriberName {
					noticed = true
				} else {
					projected = true
				}
			}
		}
		if httpSpan && appended && projected && noticed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("in %d spans: HTTP span %v, append span %v, projector span %v, notice span %v; want all",
				len(spans), httpSpan, appended, projected, noticed)
		}
	}

	lines := jsonLogLines(t, p, "http request")
	var found bool
	for _, l := range lines {
		if l["request_id"] == "booking-1" {
			found = true
			if l["trace_id"] != trace || l["route"] != "/api/v1/reservations" {
				t.Errorf("request log line %v, want trace_id %s", l, trace)
			}
		}
	}
	if !found {
		t.Errorf("no request log line with request_id booking-1 in %d lines", len(lines))
	}
}

// TestNoTracingWithoutEndpoint: without --otel-endpoint nothing is traced:
// events carry no trace context and log lines no trace IDs, though the
// request ID is still logged.
func TestNoTracingWithoutEndpoint(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--roles", "command", "--log-format", "json")
	id := placeBooking(t, p, "booking-2")
	if meta := placedMetadata(t, p, id); meta["traceparent"] != "" || meta["by"] != "nurse-kim" {
		t.Errorf("metadata = %v, want the caller and no traceparent", meta)
	}
	var found bool
	for _, l := range jsonLogLines(t, p, "http request") {
		if _, ok := l["trace_id"]; ok {
			t.Errorf("log line %v has a trace_id with tracing off", l)
		}
		found = found || l["request_id"] == "booking-2"
	}
	if !found {
		t.Error("no request log line with request_id booking-2")
	}
}

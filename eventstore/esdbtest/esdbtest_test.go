package esdbtest

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

func TestClientRoundTrip(t *testing.T) {
	t.Parallel()
	c := Client(t)
	roundTrip(t, c)
}

func TestServe(t *testing.T) {
	t.Parallel()
	url, stop, err := Serve(t.Context())
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	roundTrip(t, Connect(t, url))
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// roundTrip appends one event to a fresh stream and reads it back.
func roundTrip(t *testing.T, c *esdb.Client) {
	t.Helper()
	ctx := context.Background()
	s, id := "esdbtest-"+uuid.NewString(), uuid.New()
	if _, err := c.AppendToStream(ctx, s, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}},
		esdb.EventData{EventID: id, EventType: "Probe", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}); err != nil {
		t.Fatalf("append: %v", err)
	}
	rs, err := c.ReadStream(ctx, s, esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if err != nil || ev.OriginalEvent().EventID != id {
		t.Fatalf("read back: %v, %v; want event %s", ev, err, id)
	}
	if _, err := rs.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the one event: %v, want EOF", err)
	}
}

package kurrent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"github.com/vetclinic/clinic/eventstore/storetest"
)

// shared is the server the cases share, as in package conformance.
var shared struct {
	once sync.Once
	url  string
	stop func() error
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "kurrent: stop shared event store:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// newClient returns a KurrentDB client of the shared server, closed when t
// ends. Its logging is off: it prints every dropped subscription.
func newClient(t testing.TB) *kurrentdb.Client {
	t.Helper()
	shared.once.Do(func() {
		shared.url, shared.stop, shared.err = storetest.Serve(context.Background())
	})
	if shared.err != nil {
		t.Fatalf("shared event store: %v", shared.err)
	}
	cfg, err := kurrentdb.ParseConnectionString(shared.url)
	if err != nil {
		t.Fatalf("parse %q: %v", shared.url, err)
	}
	cfg.Logger = kurrentdb.NoopLogging()
	c, err := kurrentdb.NewClient(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collect drains a read; err is the first error other than EOF.
func collect(rs *kurrentdb.ReadStream, err error) ([]*kurrentdb.RecordedEvent, error) {
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*kurrentdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev.OriginalEvent())
	}
}

// errorCode is the client's error code of err, or -1 when err carries none.
func errorCode(err error) kurrentdb.ErrorCode {
	var e *kurrentdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

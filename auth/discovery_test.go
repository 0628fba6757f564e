package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
)

// TestDiscoveryOutlivesTheRequestThatStartedIt: the first token check
// starts discovery and gives up while the provider is slow; the discovery
// goes on and succeeds for the next check, which neither waits out a retry
// interval nor runs discovery again.
func TestDiscoveryOutlivesTheRequestThatStartedIt(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/realms/clinic/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		calls.Add(1)
		time.Sleep(200 * time.Millisecond) // a slow provider
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/realms/clinic", "jwks_uri": srv.URL + "/realms/clinic/certs"})
	}))
	t.Cleanup(srv.Close)
	d := auth.NewDiscovery(srv.URL+"/realms/clinic", auth.JWKSOptions{})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := d.Discover(ctx); !errors.Is(err, auth.ErrProviderUnavailable) {
		t.Fatalf("a caller that gives up: %v, want ErrProviderUnavailable", err)
	}
	jwks, err := d.Discover(context.Background())
	if err != nil || jwks != srv.URL+"/realms/clinic/certs" {
		t.Fatalf("the next caller: %q, %v", jwks, err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d discoveries, want the one the first caller started", n)
	}
}

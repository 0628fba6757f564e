package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// ErrProviderUnavailable is returned (wrapped) when the OIDC provider's
// discovery document cannot be fetched: the token may be fine, the server
// cannot tell yet, so the API answers 503 rather than 401.
var ErrProviderUnavailable = errors.New("auth: the OIDC provider cannot be reached")

// Discovery is a KeySet for an OIDC provider named only by its issuer URL:
// OpenID Connect Discovery (through github.com/coreos/go-oidc) finds the
// provider's JWKS, whose keys a JWKS then keeps. Discovery runs on first use
// and again after a failure, at most once per retry interval, so a provider
// that starts after the clinic (Keycloak in Compose, say) is picked up
// without a restart.
type Discovery struct {
	issuer string
	client *http.Client
	opts   JWKSOptions
	retry  time.Duration
	now    func() time.Time

	mu      sync.Mutex
	keys    *JWKS
	tried   time.Time
	err     error
	running chan struct{} // closed when the discovery in flight ends
}

// NewDiscovery returns the key set of the provider at issuer. It fetches
// nothing until the first Key or Discover call.
func NewDiscovery(issuer string, o JWKSOptions) *Discovery {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Discovery{issuer: issuer, client: o.Client, opts: o, retry: 5 * time.Second, now: o.Now}
}

// Discover fetches the discovery document if it has not been fetched yet
// and returns the provider's JWKS URL, or an error wrapping
// ErrProviderUnavailable.
func (d *Discovery) Discover(ctx context.Context) (string, error) {
	keys, err := d.discovered(ctx)
	if err != nil {
		return "", err
	}
	return keys.url, nil
}

// Key returns the provider's key with id kid.
func (d *Discovery) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	keys, err := d.discovered(ctx)
	if err != nil {
		return nil, err
	}
	return keys.Key(ctx, kid)
}

// discovered returns the provider's JWKS, running discovery when it is due.
// Discovery runs in a goroutine of its own, one at a time, on a context
// without the caller's cancellation (the client's timeout bounds it): a
// request that gives up gets 503 at once, and the discovery it started goes
// on for the next one; token checks never hold the lock across the network.
func (d *Discovery) discovered(ctx context.Context) (*JWKS, error) {
	d.mu.Lock()
	for {
		if d.keys != nil {
			defer d.mu.Unlock()
			return d.keys, nil
		}
		if d.err != nil && d.now().Sub(d.tried) < d.retry {
			defer d.mu.Unlock()
			return nil, d.err
		}
		if d.running == nil {
			d.running = make(chan struct{})
			go d.run(context.WithoutCancel(ctx), d.running)
		}
		running := d.running
		d.mu.Unlock()
		select {
		case <-running:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: discovery at %s: %w", ErrProviderUnavailable, d.issuer, ctx.Err())
		}
		d.mu.Lock()
	}
}

func (d *Discovery) run(ctx context.Context, done chan struct{}) {
	keys, err := d.discover(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tried, d.keys, d.err = d.now(), keys, err
	d.running = nil
	close(done)
}

func (d *Discovery) discover(ctx context.Context) (*JWKS, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, d.client), d.issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery at %s: %w", ErrProviderUnavailable, d.issuer, err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return nil, fmt.Errorf("%w: the discovery document at %s names no jwks_uri", ErrProviderUnavailable, d.issuer)
	}
	return NewJWKS(meta.JWKSURI, d.opts), nil
}

package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWKS is a KeySet fetched from an OIDC provider's JWKS URL. Keys are cached;
// the set is fetched again when it is older than MaxAge, and when a token
// names an unknown key id (the provider rotated its keys), at most once per
// MinRefresh so forged key ids cannot make it hammer the provider.
type JWKS struct {
	url        string
	client     *http.Client
	now        func() time.Time
	maxAge     time.Duration
	minRefresh time.Duration

	fetchMu sync.Mutex // one fetch at a time

	mu      sync.RWMutex
	keys    map[string]crypto.PublicKey
	fetched time.Time // of the keys we hold
	tried   time.Time // of the last attempt, successful or not
}

// JWKSOptions tunes a JWKS; zero values take the defaults.
type JWKSOptions struct {
	Client     *http.Client     // default: 10 s timeout
	Now        func() time.Time // default: time.Now
	MaxAge     time.Duration    // default: 1 h
	MinRefresh time.Duration    // default: 30 s
}

// NewJWKS returns a KeySet for the JWKS at url. It fetches nothing until the
// first Key call.
func NewJWKS(url string, o JWKSOptions) *JWKS {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Hour
	}
	if o.MinRefresh <= 0 {
		o.MinRefresh = 30 * time.Second
	}
	return &JWKS{url: url, client: o.Client, now: o.Now, maxAge: o.MaxAge, minRefresh: o.MinRefresh}
}

// Key returns the key with id kid, fetching the set when needed. It returns
// an error wrapping ErrUnknownKey when the provider has no such key, or the
// fetch error when the provider cannot be reached and no cached key fits.
func (j *JWKS) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	k, ok, fresh := j.cached(kid)
	if ok && fresh {
		return k, nil
	}
	err := j.refresh(ctx, ok)
	if k2, ok2, _ := j.cached(kid); ok2 {
		return k2, nil // a failed refresh of a stale set still serves it
	}
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}

func (j *JWKS) cached(kid string) (key crypto.PublicKey, ok, fresh bool) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	key, ok = j.keys[kid]
	return key, ok, j.now().Sub(j.fetched) < j.maxAge
}

// refresh fetches the set unless another caller just did. known says the
// caller holds a (stale) key: then only age matters, not the rate limit.
func (j *JWKS) refresh(ctx context.Context, known bool) error {
	j.fetchMu.Lock()
	defer j.fetchMu.Unlock()
	j.mu.RLock()
	fresh := j.now().Sub(j.fetched) < j.maxAge
	recent := !j.tried.IsZero() && j.now().Sub(j.tried) < j.minRefresh
	j.mu.RUnlock()
	if (known && fresh) || recent {
		return nil
	}
	// The fetch serves every caller, and its outcome holds off the next one
	// for minRefresh: a caller who leaves (a dropped request) must not cut
	// it short and so lock every token of a new key out until then.
	keys, err := j.fetch(context.WithoutCancel(ctx))
	j.mu.Lock()
	defer j.mu.Unlock()
	j.tried = j.now()
	if err != nil {
		return err
	}
	j.keys, j.fetched = keys, j.tried
	return nil
}

func (j *JWKS) fetch(ctx context.Context) (map[string]crypto.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: fetch jwks: status %s", resp.Status)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("auth: decode jwks: %w", err)
	}
	keys := make(map[string]crypto.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			continue // a key we cannot use (say, an unsupported curve) is skipped, not fatal
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

// jwk is one JSON Web Key (RFC 7517), public parts only.
type jwk struct {
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "OKP":
		x, err := b64(k.X)
		if err != nil || k.Crv != "Ed25519" || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad OKP key")
		}
		return ed25519.PublicKey(x), nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, errors.New("unsupported curve")
		}
		x, errX := b64(k.X)
		y, errY := b64(k.Y)
		size := (curve.Params().BitSize + 7) / 8
		if errX != nil || errY != nil || len(x) != size || len(y) != size {
			return nil, errors.New("bad EC key")
		}
		// ParseUncompressedPublicKey also checks the point is on the curve.
		return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	case "RSA":
		n, errN := b64(k.N)
		e, errE := b64(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 {
			return nil, errors.New("RSA key shorter than 2048 bits")
		}
		return pub, nil
	}
	return nil, errors.New("unsupported key type")
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

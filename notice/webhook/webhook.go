// Package webhook is the notice channel that POSTs each message as JSON to a
// configured URL, signed as the Standard Webhooks specification describes, so
// that an SMS or KakaoTalk AlimTalk gateway (or the clinic's own system) can
// verify it and de-duplicate it by its webhook-id.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vetclinic/clinic/notice"
)

// secretPrefix starts every Standard Webhooks secret.
const secretPrefix = "whsec_"

// Errors.
var (
	// ErrBadSecret is returned for a secret that is not "whsec_" and base64 of 24 to 64 bytes.
	ErrBadSecret = errors.New("webhook: secret must be whsec_ followed by base64 of 24 to 64 bytes")
	// ErrBadURL is returned for a URL that is not absolute http or https.
	ErrBadURL = errors.New("webhook: URL must be absolute http or https")
)

// Channel POSTs messages to one URL.
type Channel struct {
	url    string
	key    []byte
	client *http.Client
	now    func() time.Time
}

// Config configures a Channel.
type Config struct {
	URL    string
	Secret string           // "whsec_" + base64 key
	Client *http.Client     // nil: a client that does not follow redirects
	Now    func() time.Time // nil: time.Now
}

// New returns a channel for cfg. It returns ErrBadURL or ErrBadSecret.
func New(cfg Config) (*Channel, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q", ErrBadURL, cfg.URL)
	}
	key, err := DecodeSecret(cfg.Secret)
	if err != nil {
		return nil, err
	}
	c := &Channel{url: cfg.URL, key: key, client: cfg.Client, now: cfg.Now}
	if c.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64 // one receiver takes every message: keep the workers' connections
		c.client = &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a POST must not turn into a GET elsewhere
		}}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// DecodeSecret returns the key of a "whsec_..." secret, or ErrBadSecret.
func DecodeSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Sign returns the webhook-signature header value for a message: "v1," and
// the base64 HMAC-SHA256 of "id.timestamp.body" under key.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Name returns "webhook".
func (c *Channel) Name() string { return "webhook" }

// Send POSTs m. A 2xx answer is delivery. Any other 4xx but 408 and 429, or a
// redirect, wraps notice.ErrRejected; 5xx, 408, 429 and transport errors are
// temporary, and a Retry-After header on them becomes a notice.RetryAfterError.
func (c *Channel) Send(ctx context.Context, m notice.Message) error {
	body, err := json.Marshal(NewPayload(m))
	if err != nil {
		return fmt.Errorf("webhook %s: encode: %w", m.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", m.ID, err)
	}
	ts := c.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(c.key, m.ID, ts, body))
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", m.ID, err)
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	return classify(m.ID, resp, snippet)
}

func classify(id string, resp *http.Response, snippet []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("webhook %s: receiver answered %s", id, resp.Status)
	if s := strings.TrimSpace(string(snippet)); s != "" {
		err = fmt.Errorf("webhook %s: receiver answered %s: %.120s", id, resp.Status, s)
	}
	switch {
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		if d := retryAfter(resp.Header.Get("Retry-After")); d > 0 {
			return &notice.RetryAfterError{Err: err, After: d}
		}
		return err
	default: // 1xx, 3xx and the other 4xx: sending the same request again cannot help
		return fmt.Errorf("%w: %w", notice.ErrRejected, err)
	}
}

// retryAfter reads a Retry-After header given in seconds (capped at an hour);
// the HTTP-date form is ignored, and then the backoff alone decides.
func retryAfter(h string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(min(s, 3600)) * time.Second
}

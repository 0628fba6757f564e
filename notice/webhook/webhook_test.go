package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/notice"
)

// testSecret is the secret of the Standard Webhooks specification's example.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestSignMatchesThePublishedVector(t *testing.T) {
	t.Parallel()
	key, err := DecodeSecret(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

// verify checks a request as a receiver following the specification would,
// written apart from Sign: decode the secret, rebuild "id.timestamp.body",
// compare against every space-separated v1 signature, reject stale times.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" {
		return errors.New("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp outside tolerance")
	}
	mac := hmac.New(sha256.New, raw)
	io.WriteString(mac, id+"."+ts+"."+string(body))
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		v, b64, ok := strings.Cut(sig, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

func testMessage() notice.Message {
	return notice.Message{
		ID: "0b7f5c2e-1111-4a4a-9c9c-000000000001", Kind: notice.KindPlaced,
		ReservationID: "r-1", Position: 42, Locale: notice.Korean, To: "010-1234-5678",
		Text: "예약 확정", CreatedAt: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Facts: notice.Facts{Kind: notice.KindPlaced, Pet: "Coco", Slot: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)},
	}
}

func TestSendIsVerifiableByAReceiver(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		gotBody []byte
		gotErr  error
		gotID   string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		gotBody, gotID = body, r.Header.Get("webhook-id")
		gotErr = verify(testSecret, r.Header, body, time.Now())
		if r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			gotErr = errors.New("not a JSON POST")
		}
		if gotErr != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage()
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotErr != nil {
		t.Fatalf("receiver could not verify: %v", gotErr)
	}
	if gotID != m.ID {
		t.Errorf("webhook-id = %q, want the message ID %q", gotID, m.ID)
	}
	var p Payload
	if err := json.Unmarshal(gotBody, &p); err != nil {
		t.Fatalf("body %s: %v", gotBody, err)
	}
	if p.Type != "reservation.placed" || p.Data.To != "010-1234-5678" || p.Data.MessageID != m.ID ||
		p.Data.Text != "예약 확정" || p.Data.Slot == nil || !p.Data.Slot.Equal(m.Facts.Slot) || p.Data.Amount != nil {
		t.Errorf("payload = %s", gotBody)
	}
}

func TestSendTamperedBodyFailsVerification(t *testing.T) {
	t.Parallel()
	key, _ := DecodeSecret(testSecret)
	ts := time.Now().Unix()
	h := http.Header{}
	h.Set("webhook-id", "m1")
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", Sign(key, "m1", ts, []byte(`{"a":1}`)))
	if err := verify(testSecret, h, []byte(`{"a":1}`), time.Now()); err != nil {
		t.Fatalf("genuine: %v", err)
	}
	if err := verify(testSecret, h, []byte(`{"a":2}`), time.Now()); err == nil {
		t.Error("tampered body verified")
	}
	if err := verify("whsec_"+base64.StdEncoding.EncodeToString(make([]byte, 32)), h, []byte(`{"a":1}`), time.Now()); err == nil {
		t.Error("other secret verified")
	}
}

func TestSendClassifiesAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status     int
		retryAfter string
		wantErr    bool
		permanent  bool
		wantDelay  time.Duration
	}{
		{200, "", false, false, 0},
		{202, "", false, false, 0},
		{204, "", false, false, 0},
		{301, "", true, true, 0},
		{400, "", true, true, 0},
		{401, "", true, true, 0},
		{404, "", true, true, 0},
		{410, "", true, true, 0},
		{422, "", true, true, 0},
		{408, "", true, false, 0},
		{429, "7", true, false, 7 * time.Second},
		{429, "Wed, 21 Oct 2015 07:28:00 GMT", true, false, 0},
		{500, "", true, false, 0},
		{502, "", true, false, 0},
		{503, "2", true, false, 2 * time.Second},
		{503, "999999", true, false, time.Hour},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+tt.retryAfter, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status/100 == 3 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, "answer body")
			}))
			t.Cleanup(srv.Close)
			c, err := New(Config{URL: srv.URL + "/hook", Secret: testSecret})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Send(context.Background(), testMessage())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %v, want error %v", err, tt.wantErr)
			}
			if got := errors.Is(err, notice.ErrRejected); got != tt.permanent {
				t.Errorf("Send = %v: permanent %v, want %v", err, got, tt.permanent)
			}
			if got := notice.RetryAfter(err); got != tt.wantDelay {
				t.Errorf("RetryAfter = %v, want %v", got, tt.wantDelay)
			}
			if err != nil && !strings.Contains(err.Error(), "answer body") {
				t.Errorf("error %q does not quote the answer", err)
			}
		})
	}
}

func TestSendTransportErrorsAreTemporary(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, err := New(Config{URL: url, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), testMessage())
	if err == nil || errors.Is(err, notice.ErrRejected) {
		t.Errorf("Send to a closed port = %v, want a temporary error", err)
	}

	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hang); slow.Close() })
	c, err = New(Config{URL: slow.URL, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = c.Send(ctx, testMessage())
	if err == nil || errors.Is(err, notice.ErrRejected) {
		t.Errorf("Send to a hanging receiver = %v, want a temporary error", err)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, secret string
		want        error
	}{
		{"http://127.0.0.1:9/hook", testSecret, nil},
		{"https://gateway.example/hook", testSecret, nil},
		{"ftp://x/hook", testSecret, ErrBadURL},
		{"/relative", testSecret, ErrBadURL},
		{"http://", testSecret, ErrBadURL},
		{"http://x/hook", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ErrBadSecret},
		{"http://x/hook", "whsec_not base64!", ErrBadSecret},
		{"http://x/hook", "whsec_c2hvcnQ=", ErrBadSecret},
		{"http://x/hook", "", ErrBadSecret},
	}
	for _, tt := range tests {
		_, err := New(Config{URL: tt.url, Secret: tt.secret})
		if !errors.Is(err, tt.want) {
			t.Errorf("New(%q, %q) = %v, want %v", tt.url, tt.secret, err, tt.want)
		}
	}
}

func TestPayloadOfAnInvoiceCarriesTheAmount(t *testing.T) {
	t.Parallel()
	m := testMessage()
	m.Kind = notice.KindInvoiceIssued
	m.Facts = notice.Facts{Kind: m.Kind, Pet: "Coco", Amount: 35000, Currency: "KRW"}
	p := NewPayload(m)
	if p.Data.Amount == nil || *p.Data.Amount != (Amount{35000, "KRW"}) || p.Data.Slot != nil {
		t.Errorf("payload data = %+v", p.Data)
	}
}

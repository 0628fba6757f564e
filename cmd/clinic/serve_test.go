package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// logWatch collects a process's log and reports the address it serves on.
type logWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  chan string
	found bool
}

const maxLogKept = 1 << 20

// servingRE finds the address in the text or the JSON log line.
var servingRE = regexp.MustCompile(`msg="clinic serving" addr=(\S+)|"msg":"clinic serving".*?"addr":"([^"]+)"`)

func newLogWatch() *logWatch { return &logWatch{addr: make(chan string, 1)} }

func (l *logWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.found { // slog writes whole lines, so p alone holds the line
		if m := servingRE.FindSubmatch(p); m != nil {
			l.found = true
			l.addr <- string(m[1]) + string(m[2])
		}
	}
	if l.buf.Len() > maxLogKept { // a long run keeps only its recent log
		tail := slices.Clone(l.buf.Bytes()[l.buf.Len()-maxLogKept/2:])
		l.buf.Reset()
		l.buf.Write(tail)
	}
	return len(p), nil
}

func (l *logWatch) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// clinicProcess is `clinic serve` running in-process through run.
type clinicProcess struct {
	base string
	data string
	log  *logWatch
	stop func() error
}

// startClinic runs `clinic serve` with args on a random port and a temp data
// folder, and stops it when t ends.
func startClinic(t testing.TB, args ...string) *clinicProcess {
	t.Helper()
	return startClinicIn(t, t.TempDir(), args...)
}

// startClinicIn is startClinic on the data folder data.
func startClinicIn(t testing.TB, data string, args ...string) *clinicProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lw := newLogWatch()
	done := make(chan error, 1)
	full := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--roles", "command"}, args...)
	go func() { done <- run(ctx, full, noEnv, io.Discard, lw) }()
	p := &clinicProcess{data: data, log: lw}
	var once sync.Once
	var stopErr error
	p.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("serve returned %v", err)
		}
		if t.Failed() {
			t.Logf("clinic log:\n%s", lw.String())
		}
	})
	select {
	case addr := <-lw.addr:
		p.base = "http://" + addr
	case err := <-done:
		t.Fatalf("serve exited early: %v\n%s", err, lw.String())
	}
	return p
}

// token runs `clinic token` against the process's data folder.
func (p *clinicProcess) token(t testing.TB, role, subject string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", p.data, "--role", role, "--subject", subject}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (p *clinicProcess) do(t testing.TB, method, path, token string, body any, out any, hdr ...string) (int, http.Header) {
	t.Helper()
	code, h, data := sendJSON(t, http.DefaultClient, p.base, method, path, token, body, hdr...)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, code, data, err)
		}
	}
	return code, h
}

// sendJSON sends a request with body (nil: none) as JSON, the bearer token
// (if any) and the header pairs hdr, through hc, and returns the answer's
// status, headers and body.
func sendJSON(t testing.TB, hc *http.Client, base, method, path, token string, body any, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func TestServeSmoke(t *testing.T) {
	t.Parallel()
	p := startClinic(t)
	if !strings.Contains(p.log.String(), "example clinic embedded") {
		t.Errorf("serve did not say it uses the embedded example clinic:\n%s", p.log.String())
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := p.do(t, "GET", path, "", nil, nil); code != http.StatusOK {
			t.Errorf("%s = %d", path, code)
		}
		if code, _ := p.do(t, "HEAD", path, "", nil, nil); code != http.StatusOK {
			t.Errorf("HEAD %s = %d, want 200 as GET", path, code)
		}
	}
	var docs struct {
		Doctors []struct{ ID string } `json:"doctors"`
	}
	if code, _ := p.do(t, "GET", "/api/v1/doctors", p.token(t, "staff", "nurse-kim"), nil, &docs); code != http.StatusOK || len(docs.Doctors) == 0 {
		t.Errorf("doctors = %d %+v", code, docs)
	}
	if code, _ := p.do(t, "GET", "/api/v1/doctors", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("doctors without token = %d", code)
	}
	if err := p.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}

func TestServeFlagErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--roles", "command,bogus"},
		{"serve", "--log-level", "loud"},
		{"serve", "extra"},
		{"serve", "--config", "/nonexistent/clinic.json", "--data", t.TempDir()},
	} {
		if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
	for _, args := range [][]string{{"--issuer", ""}, {"--audience", " "}, {"--check-in-window", "0s"}, {"--invoice-ceiling", "-1"},
		{"--pprof-listen", "0.0.0.0:6060"}, {"--pprof-listen", ":6060"},
		{"--oidc-issuer", "sso.example/realms/clinic"}, {"--oidc-issuer", "https://sso.example/realms/clinic", "--jwks-url", "https://sso.example/certs"},
		{"--oidc-issuer", "https://sso.example/realms/clinic", "--issuer", "https://other.example/realms/clinic"}} {
		if _, err := parseServe(args, noEnv, io.Discard); err == nil {
			t.Errorf("%v parsed: an empty issuer or audience would turn its check off, profiles are for loopback only, an issuer must be a URL and not beside a JWKS", args)
		}
	}
	env := func(k string) string {
		return map[string]string{"CLINIC_LISTEN": "127.0.0.1:9", "CLINIC_ROLES": "command"}[k]
	}
	c, err := parseServe([]string{"--listen", "127.0.0.1:0"}, env, io.Discard)
	if err != nil || c.Listen != "127.0.0.1:0" || fmt.Sprint(c.Roles) != "[command]" {
		t.Errorf("flags over env: %+v %v", c, err)
	}
}

// TestServeRuleFlags: the clinic's rules default to the domain's, come
// from CLINIC_* when no flag is given, and 0 turns the ceiling off.
func TestServeRuleFlags(t *testing.T) {
	t.Parallel()
	c, err := parseServe(nil, noEnv, io.Discard)
	if err != nil || c.CheckInWindow != 12*time.Hour || c.DaysBack != 365 || c.DaysAhead != 730 || c.InvoiceCeiling != 10_000_000 {
		t.Errorf("defaults: window %v, days %d/%d, ceiling %d, %v", c.CheckInWindow, c.DaysBack, c.DaysAhead, c.InvoiceCeiling, err)
	}
	env := func(k string) string {
		return map[string]string{"CLINIC_CHECK_IN_WINDOW": "36h", "CLINIC_OPEN_DAYS_AHEAD": "90", "CLINIC_INVOICE_CEILING": "0"}[k]
	}
	c, err = parseServe([]string{"--open-days-back", "7"}, env, io.Discard)
	if err != nil || c.CheckInWindow != 36*time.Hour || c.DaysBack != 7 || c.DaysAhead != 90 || c.InvoiceCeiling >= 0 {
		t.Errorf("from env: window %v, days %d/%d, ceiling %d, %v", c.CheckInWindow, c.DaysBack, c.DaysAhead, c.InvoiceCeiling, err)
	}
}

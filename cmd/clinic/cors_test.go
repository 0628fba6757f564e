package main

import (
	"io"
	"net/http"
	"slices"
	"testing"
)

// TestCORSOriginFlag: --cors-origin takes origins one at a time or
// separated by commas, CLINIC_CORS_ORIGIN is its fallback, none is the
// default, and anything that is not scheme://host[:port] is refused.
func TestCORSOriginFlag(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"none by default", nil, nil, nil},
		{"repeated", []string{"--cors-origin", "https://app.example.com", "--cors-origin", "http://localhost:3000"}, nil,
			[]string{"https://app.example.com", "http://localhost:3000"}},
		{"comma separated", []string{"--cors-origin", "https://a.example, https://b.example/"}, nil, []string{"https://a.example", "https://b.example"}},
		{"from the environment", nil, map[string]string{"CLINIC_CORS_ORIGIN": "https://a.example,https://b.example"}, []string{"https://a.example", "https://b.example"}},
		{"the flag wins", []string{"--cors-origin", "https://flag.example"}, map[string]string{"CLINIC_CORS_ORIGIN": "https://env.example"}, []string{"https://flag.example"}},
	} {
		cfg, err := parseServe(c.args, func(k string) string { return c.env[k] }, io.Discard)
		if err != nil || !slices.Equal(cfg.CORSOrigins, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, cfg.CORSOrigins, err, c.want)
		}
	}
	for _, bad := range []string{"*", "app.example.com", "https://app.example.com/app", "ftp://x.example"} {
		if _, err := parseServe([]string{"--cors-origin", bad}, noEnv, io.Discard); err == nil {
			t.Errorf("--cors-origin %q accepted", bad)
		}
	}
}

// TestCORSThroughRun: `clinic serve --cors-origin` answers the configured
// origin's preflight and names it on the answers, and gives another origin
// no CORS headers.
func TestCORSThroughRun(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--cors-origin", "https://app.example.com")
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest("OPTIONS", p.base+"/api/v1/reservations", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight("https://app.example.com"); resp.StatusCode != http.StatusNoContent ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("preflight of the configured origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example"); resp.StatusCode == http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin: %d %v", resp.StatusCode, resp.Header)
	}
	staff := p.token(t, "staff", "nurse-kim")
	_, hdr := p.do(t, "GET", "/api/v1/doctors", staff, nil, nil, "Origin", "https://app.example.com")
	if hdr.Get("Access-Control-Allow-Origin") != "https://app.example.com" || hdr.Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("answer to the configured origin: %v", hdr)
	}
}

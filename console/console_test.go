package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/vetclinic/clinic/console"
)

func get(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, "http://clinic.test"+path, nil))
	resp := w.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestShellAssetsAndConfig: the shell is served at /console/ and at the
// sign-in callback, kept to its own scripts and out of frames; every asset
// it names is served; the config names the issuer (the configured one, or
// the embedded provider on the page's origin), the client and the API.
func TestShellAssetsAndConfig(t *testing.T) {
	t.Parallel()
	h := console.Handler(console.Config{Clinic: "Happy <Paws>"})
	for _, path := range []string{"/console/", "/console/callback"} {
		resp, body := get(t, h, "GET", path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "connect-src 'self' http://clinic.test") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if !strings.Contains(body, "Happy &lt;Paws&gt;") || strings.Contains(body, "<Paws>") {
			t.Errorf("%s: the clinic's name is not escaped: %s", path, body)
		}
		for _, m := range regexp.MustCompile(`(?:src|href)="(/console/assets/[^"]+)"`).FindAllStringSubmatch(body, -1) {
			if resp, _ := get(t, h, "GET", m[1]); resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("asset %s: %d", m[1], resp.StatusCode)
			}
		}
	}
	resp, body := get(t, h, "GET", "/console/config.json")
	var cfg map[string]string
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || resp.StatusCode != 200 {
		t.Fatalf("config: %d %s %v", resp.StatusCode, body, err)
	}
	want := map[string]string{"issuer": "http://clinic.test/oidc", "clientId": "clinic-console", "api": "/api/v1"}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("config %s = %q, want %q", k, cfg[k], v)
		}
	}
	kc := console.Handler(console.Config{Issuer: "https://sso.example.com/realms/clinic"})
	if _, body := get(t, kc, "GET", "/console/config.json"); !strings.Contains(body, `"issuer":"https://sso.example.com/realms/clinic"`) {
		t.Errorf("config with an issuer: %s", body)
	}
	if resp, _ := get(t, kc, "GET", "/console/"); !strings.Contains(resp.Header.Get("Content-Security-Policy"), "connect-src 'self' https://sso.example.com;") {
		t.Errorf("CSP with an issuer: %q", resp.Header.Get("Content-Security-Policy"))
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{{"GET", "/console/nothing", 404}, {"GET", "/console/assets/", 404}, {"GET", "/console/assets/missing.js", 404}, {"POST", "/console/", 405}, {"HEAD", "/console/", 200}} {
		if resp, _ := get(t, h, tc.method, tc.path); resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

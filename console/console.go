// Package console is the staff's web console: an HTML shell (html/template)
// and small hand-written JavaScript, embedded in the binary and served
// under /console/. The page is a client of the public API only (/api/v1,
// with the signed-in user's bearer token); it signs in with OpenID Connect
// (authorization code with PKCE) against the issuer its config names.
package console

import (
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

//go:embed assets
var assets embed.FS

//go:embed shell.html
var shellHTML string

var shell = template.Must(template.New("shell").Parse(shellHTML))

// ClientID is the console's OpenID Connect client (deploy/keycloak's realm
// and the embedded provider register it under this name).
const ClientID = "clinic-console"

// Config is what the console is told.
type Config struct {
	// Issuer is the OpenID Provider's issuer URL. Empty means the embedded
	// provider at <the page's origin>/oidc.
	Issuer string
	// Clinic is the clinic's name, for the page title.
	Clinic string
}

// settings is GET /console/config.json: what the page's script needs.
type settings struct {
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"`
	API      string `json:"api"`
}

// Handler serves the console under /console/: the shell at /console/ and
// /console/callback (where the provider sends the browser back), the
// config, and the assets. Anything else under /console/ is 404.
func Handler(cfg Config) http.Handler {
	static := http.StripPrefix("/console/", http.FileServerFS(assets)) // assets/... under /console/assets/
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		secure(w.Header(), cfg.issuer(r))
		switch p := r.URL.Path; {
		case p == "/console/" || p == "/console/callback":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_ = shell.Execute(w, cfg)
		case p == "/console/config.json":
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_ = json.NewEncoder(w).Encode(settings{Issuer: cfg.issuer(r), ClientID: ClientID, API: "/api/v1"})
		case strings.HasPrefix(p, "/console/assets/") && !strings.HasSuffix(p, "/"):
			w.Header().Set("Cache-Control", "no-cache")
			static.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// issuer is the configured issuer, or the embedded provider's on the
// page's own origin.
func (c Config) issuer(r *http.Request) string {
	if c.Issuer != "" {
		return c.Issuer
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/oidc"
}

// secure sets the headers that keep the page to its own scripts and out of
// frames. The page talks to the API on its own origin and to the provider.
func secure(h http.Header, issuer string) {
	provider := ""
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		provider = " " + u.Scheme + "://" + u.Host
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'"+provider+"; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"+provider)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the callback's URL holds the authorization code
	h.Set("X-Frame-Options", "DENY")
}

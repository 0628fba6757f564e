package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
)

// CORS: a browser app on another origin may call the API when its origin
// is configured (Config.CORSOrigins; none by default). Preflights from such
// an origin are answered 204 before routing; answers to it carry
// Access-Control-Allow-Origin and expose the headers a client reads. A
// request from any other origin is served as if CORS did not exist: no
// CORS headers, so the browser keeps the answer from the page.

// corsHeaders are the request headers a browser app may send.
var corsHeaders = []string{"Authorization", "Content-Type", "If-Match", "Idempotency-Key", customerPhoneHeader}

// corsExposed are the answer headers a browser app may read.
var corsExposed = []string{"Location", "ETag", "X-View-Position", "Retry-After", "WWW-Authenticate"}

// corsMaxAge is how long a browser may cache a preflight's answer.
const corsMaxAge = 10 * time.Minute

// ValidOrigin returns an error unless origin is a web origin as a browser
// sends it: http or https, a host, an optional port, nothing else ("*" is
// refused: name each app's origin).
func ValidOrigin(origin string) error {
	u, err := url.Parse(origin)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("an origin starts with http:// or https://")
	case u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return errors.New("an origin is scheme://host[:port], with no path, query or user")
	}
	return nil
}

// corsOrigins normalises the configured origins (a trailing slash is
// dropped, as browsers send none) and drops invalid ones, which cmd/clinic
// refuses before it gets here; it reports the dropped ones.
func corsOrigins(origins []string) (ok []string, bad []string) {
	for _, o := range origins {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		if ValidOrigin(o) != nil {
			bad = append(bad, o)
			continue
		}
		ok = append(ok, o)
	}
	return ok, bad
}

// corsMiddleware is the CORS handler of gin-contrib/cors for the
// configured origins, or nil for none. The library answers a request from
// an origin it does not know with a bare 403; this API serves such a
// request as usual instead (without CORS headers), so the library only
// sees the origins it allows.
func (s *Server) corsMiddleware() gin.HandlerFunc {
	origins, bad := corsOrigins(s.cfg.CORSOrigins)
	if len(bad) > 0 {
		s.log.Error("CORS origins ignored: each must be scheme://host[:port]", "origins", bad)
	}
	if len(origins) == 0 {
		return nil
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	h := cors.New(cors.Config{
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut},
		AllowHeaders:  corsHeaders,
		ExposeHeaders: corsExposed,
		MaxAge:        corsMaxAge,
	})
	return func(c *gin.Context) {
		if allowed[c.GetHeader("Origin")] {
			h(c)
		}
	}
}

package httpapi

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"github.com/vetclinic/clinic/notice"
)

// The customers' status page (/status/<token>): server-rendered HTML with
// no script, so it works on any phone and with any screen reader. It shows
// exactly what GET /api/v1/status/{token} answers (one function builds
// both), in Korean by default and in English when the browser asks for it
// first (Accept-Language) or the reader picks it (?lang=en).

//go:embed statuspage/page.html
var statusFiles embed.FS

// statusLangs are the page's languages, the default first.
var statusLangs = []language.Tag{language.Korean, language.English}

var statusMatcher = language.NewMatcher(statusLangs)

// statusPageData is what the template renders: a visit, or a heading and a
// message when the link shows nothing.
type statusPageData struct {
	Lang, OtherLang, OtherLangName string
	Clinic                         string
	Status                         *StatusResponse
	Heading, Message               string
}

// statusTemplates holds one parsed page per language.
type statusTemplates map[notice.Locale]*template.Template

func newStatusTemplates(zone *time.Location) (statusTemplates, error) {
	out := statusTemplates{}
	for _, loc := range []notice.Locale{notice.Korean, notice.English} {
		words := statusWords[loc]
		funcs := template.FuncMap{
			"t": func(key string) string {
				if w, ok := words[key]; ok {
					return w
				}
				return key
			},
			"when": func(v any) string {
				switch t := v.(type) {
				case time.Time:
					return notice.FormatTime(loc, t.In(zone))
				case *time.Time:
					if t != nil {
						return notice.FormatTime(loc, t.In(zone))
					}
				}
				return ""
			},
			"money":   func(a int64, cur string) string { return notice.FormatMoney(loc, a, cur) },
			"species": func(s string) string { return wordOr(words, "species."+strings.ToLower(s), s) },
			"method":  func(s string) string { return wordOr(words, "method."+s, s) },
		}
		t, err := template.New("page.html").Funcs(funcs).ParseFS(statusFiles, "statuspage/page.html")
		if err != nil {
			return nil, err
		}
		out[loc] = t
	}
	return out, nil
}

func wordOr(words map[string]string, key, fallback string) string {
	if w, ok := words[key]; ok {
		return w
	}
	return fallback
}

// statusLocale is the reader's language: ?lang= when it names one of the
// page's, else the best match of Accept-Language, else Korean.
func statusLocale(c *gin.Context) notice.Locale {
	if l := c.Query("lang"); l == string(notice.English) || l == string(notice.Korean) {
		return notice.Locale(l)
	}
	tag, _ := language.MatchStrings(statusMatcher, c.GetHeader("Accept-Language"))
	if base, _ := tag.Base(); base.String() == string(notice.English) {
		return notice.English
	}
	return notice.Korean
}

// statusPage answers GET /status/{token}: the page, with the status of the
// API answer (404 for a link that names nothing, 410 for an expired one).
func (s *Server) statusPage(q StaffReads, links StatusLinks) gin.HandlerFunc {
	return func(c *gin.Context) {
		loc := statusLocale(c)
		r, err := s.customerStatus(c.Request.Context(), q, links, c.Param("token"))
		if err != nil {
			s.renderStatusError(c, loc, err)
			return
		}
		s.renderStatus(c, http.StatusOK, loc, statusPageData{Status: &r})
	}
}

// statusHome answers GET /status/: where a customer lands without a token.
func (s *Server) statusHome(c *gin.Context) {
	loc := statusLocale(c)
	w := statusWords[loc]
	s.renderStatus(c, http.StatusOK, loc, statusPageData{Heading: w["homeHeading"], Message: w["homeMessage"]})
}

// renderStatusError shows an error as the page: the same neutral page for
// every link that names nothing, another for an expired one, and the
// API's problem status (a 503 keeps its Retry-After).
func (s *Server) renderStatusError(c *gin.Context, loc notice.Locale, err error) {
	w := statusWords[loc]
	var re *requestError
	switch {
	case errors.As(err, &re) && re == errLinkExpired:
		s.renderStatus(c, http.StatusGone, loc, statusPageData{Heading: w["expiredHeading"], Message: w["expiredMessage"]})
	case errors.As(err, &re) && re == errLinkUnknown:
		s.renderStatus(c, http.StatusNotFound, loc, statusPageData{Heading: w["unknownHeading"], Message: w["unknownMessage"]})
	default:
		p := s.problemFor(err)
		if p.Status >= 500 && p.Type == kindInternal.uri() {
			s.log.ErrorContext(c.Request.Context(), "status page failed", "path", "/status/…", "err", err)
		}
		if p.Status == http.StatusServiceUnavailable {
			c.Header("Retry-After", s.retryAfter())
		}
		s.renderStatus(c, p.Status, loc, statusPageData{Heading: w["busyHeading"], Message: w["busyMessage"]})
	}
}

func (s *Server) renderStatus(c *gin.Context, code int, loc notice.Locale, d statusPageData) {
	noStore(c)
	// No script, no frames, nothing fetched from elsewhere.
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	c.Header("Content-Language", string(loc))
	c.Header("Vary", "Accept-Language")
	d.Lang, d.OtherLang, d.OtherLangName = string(loc), string(notice.English), "English"
	if loc == notice.English {
		d.OtherLang, d.OtherLangName = string(notice.Korean), "한국어"
	}
	if s.cfg.Clinic != nil {
		d.Clinic = s.cfg.Clinic.Name
	}
	var b bytes.Buffer
	if err := s.statusPages[loc].Execute(&b, d); err != nil {
		s.writeError(c, err) // a broken template: a logged 500
		return
	}
	c.Data(code, "text/html; charset=utf-8", b.Bytes())
}

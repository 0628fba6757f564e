package openapitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

const spec = `
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      security: [{bearer: [staff]}]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: '^[0-9]+$'}}
      responses:
        "200":
          description: a thing
          headers:
            ETag: {required: true, schema: {type: string}}
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                required: [id]
                properties:
                  id: {type: string}
        "400":
          description: bad
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
        "403":
          description: forbidden
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Problem:
      type: object
      required: [type, title, status]
      properties:
        type: {type: string}
        title: {type: string}
        status: {type: integer}
`

// recorder is a TB that keeps what it was told.
type recorder struct {
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func token(t *testing.T, role string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "role": role}).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// server answers as the case says, whatever the request.
func server(status int, ctype, etag, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func TestCheckFindsDrift(t *testing.T) {
	t.Parallel()
	v, err := New([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	if ops := v.Operations(); len(ops) != 1 || ops[0].String() != "GET /things/{id}" {
		t.Fatalf("operations %v", ops)
	}
	staff, customer := token(t, "staff"), token(t, "customer")
	problem := `{"type":"/problems/x","title":"x","status":%d}`
	for _, c := range []struct {
		name, path, token string
		h                 http.Handler
		wantErr           string // "" when the exchange conforms
	}{
		{"conforms", "/things/1", staff, server(200, "application/json", `"1"`, `{"id":"1"}`), ""},
		{"refused request, 400", "/things/x", staff, server(400, "application/problem+json", "", fmt.Sprintf(problem, 400)), ""},
		{"customer refused with 403", "/things/1", customer, server(403, "application/problem+json", "", fmt.Sprintf(problem, 403)), ""},
		{"unknown path, 404 problem", "/nowhere", staff, server(404, "application/problem+json", "", `{"type":"/problems/not-found","title":"Not found","status":404}`), ""},
		{"missing field", "/things/1", staff, server(200, "application/json", `"1"`, `{}`), "breaks the document"},
		{"extra field", "/things/1", staff, server(200, "application/json", `"1"`, `{"id":"1","more":2}`), "breaks the document"},
		{"missing header", "/things/1", staff, server(200, "application/json", "", `{"id":"1"}`), "ETag"},
		{"wrong content type", "/things/1", staff, server(200, "text/plain", `"1"`, `{"id":"1"}`), "breaks the document"},
		{"undocumented status", "/things/1", staff, server(409, "application/problem+json", "", fmt.Sprintf(problem, 409)), "breaks the document"},
		{"refused request, 200", "/things/x", staff, server(200, "application/json", `"1"`, `{"id":"x"}`), "refuses the request"},
		{"customer served", "/things/1", customer, server(200, "application/json", `"1"`, `{"id":"1"}`), "refuses the request"},
		{"no token served", "/things/1", "", server(200, "application/json", `"1"`, `{"id":"1"}`), "refuses the request"},
		{"unknown path, 200", "/nowhere", staff, server(200, "application/json", "", `{}`), "not in the document"},
		{"unknown path, other 404", "/nowhere", staff, server(404, "application/problem+json", "", `{"type":"/problems/gone","title":"x","status":404}`), "not in the document"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			check := func(t *testing.T, via string, do func(tb TB) *http.Response) {
				rec := &recorder{}
				resp := do(rec)
				if resp == nil {
					return
				}
				got := strings.Join(rec.errs, "\n")
				switch {
				case c.wantErr == "" && got != "":
					t.Errorf("%s: %s", via, got)
				case c.wantErr != "" && !strings.Contains(got, c.wantErr):
					t.Errorf("%s: errors %q, want one saying %q", via, got, c.wantErr)
				}
			}
			newReq := func(url string) *http.Request {
				req := httptest.NewRequest("GET", url, nil)
				req.RequestURI = ""
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				return req
			}
			check(t, "Handler", func(tb TB) *http.Response {
				w := httptest.NewRecorder()
				v.Handler(tb, c.h).ServeHTTP(w, newReq(c.path))
				return w.Result()
			})
			srv := httptest.NewServer(c.h)
			defer srv.Close()
			check(t, "RoundTripper", func(tb TB) *http.Response {
				hc := &http.Client{Transport: v.RoundTripper(tb, srv.Client().Transport)}
				req := newReq(srv.URL + c.path)
				req.URL.Path = c.path
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			})
		})
	}
}

func TestNewRefusesABadDocument(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"not a document": `{"openapi": 3`,
		"no Problem":     strings.Replace(spec, "    Problem:", "    Other:", 1),
		"bad ref":        strings.Replace(spec, "#/components/schemas/Problem", "#/components/schemas/Nope", 1),
	} {
		if _, err := New([]byte(doc)); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

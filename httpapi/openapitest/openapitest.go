// Package openapitest checks HTTP exchanges against an OpenAPI document
// with kin-openapi, so a test that drives the API fails when the server and
// its contract drift apart. It takes the document as bytes (the served
// JSON), so it does not import the server it checks.
//
// The rules of Check:
//   - The request's route and method must be in the document, except for an
//     answer 404 /problems/not-found or 405 /problems/method-not-allowed,
//     which any path may get (an unknown route, or a route of a role the
//     process does not run).
//   - A request the document accepts must get an answer whose status,
//     headers and body the operation documents.
//   - A request the document refuses must get a documented 4xx: a server
//     that accepts what its contract refuses has drifted too.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/golang-jwt/jwt/v5"
)

// registerHTML registers the text/html body decoder once per process
// (kin-openapi keeps its decoders in a package-level table).
var registerHTML sync.Once

// Operation is one documented method and path template (/a/{id}).
type Operation struct {
	Method string
	Path   string
	// Roles are the bearer roles its security requirements take, sorted;
	// Anonymous says it also takes a caller without a token.
	Roles     []string
	Anonymous bool
}

func (o Operation) String() string { return o.Method + " " + o.Path }

// Validator checks exchanges against one document. It is safe for
// concurrent use.
type Validator struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.Schema
}

// New loads and validates the OpenAPI document spec (JSON or YAML). It
// returns an error when the document is not a valid OpenAPI description or
// lacks the Problem schema that unknown routes are answered with.
func New(spec []byte) (*Validator, error) {
	registerHTML.Do(func() {
		// Pages (the status page) are text/html, a string to the
		// document like text/plain; kin-openapi decodes only the latter.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	})
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("openapitest: load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapitest: the document is not valid: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapitest: router: %w", err)
	}
	ref := doc.Components.Schemas["Problem"]
	if ref == nil || ref.Value == nil {
		return nil, errors.New("openapitest: the document has no components.schemas.Problem")
	}
	return &Validator{doc: doc, router: router, problem: ref.Value}, nil
}

// Operations lists every documented operation, sorted.
func (v *Validator) Operations() []Operation {
	var out []Operation
	for path, item := range v.doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := Operation{Method: method, Path: path}
			sec := v.doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			for _, req := range sec {
				if len(req) == 0 {
					o.Anonymous = true
				}
				for _, scopes := range req {
					o.Roles = append(o.Roles, scopes...)
				}
			}
			slices.Sort(o.Roles)
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b Operation) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// Exchange is one request and the answer it got.
type Exchange struct {
	Request     *http.Request // its Body is not read: RequestBody is
	RequestBody []byte
	Status      int
	Header      http.Header
	Body        []byte
}

// Check returns an error saying how ex breaks the document, or nil.
func (v *Validator) Check(ex Exchange) error {
	ctx := context.Background()
	req := ex.Request.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(ex.RequestBody))
	req.ContentLength = int64(len(ex.RequestBody))
	if len(ex.RequestBody) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json") // the server reads such a body as JSON
	}
	what := ex.Request.Method + " " + ex.Request.URL.RequestURI()
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		if perr := v.unrouted(ex); perr != nil {
			return fmt.Errorf("%s is not in the document (%v) and its answer %d is no 404/405 problem: %v", what, err, ex.Status, perr)
		}
		return nil
	}
	opts := &openapi3filter.Options{AuthenticationFunc: bearerRoles, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if reqErr != nil && (ex.Status < 400 || ex.Status > 499) {
		return fmt.Errorf("%s: the document refuses the request (%v), yet the server answered %d %s", what, reqErr, ex.Status, ex.Body)
	}
	if route.Operation.Responses.Status(ex.Status) == nil && (ex.Status == http.StatusNotFound || ex.Status == http.StatusMethodNotAllowed) {
		if err := v.unrouted(ex); err != nil {
			return fmt.Errorf("%s: undocumented %d: %v", what, ex.Status, err)
		}
		return nil
	}
	// ValidateRequest has read the body; the response check needs the
	// request only for its route.
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Status, Header: ex.Header, Options: opts}
	out.SetBodyBytes(ex.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%s: the answer %d breaks the document: %v; body %s", what, ex.Status, err, ex.Body)
	}
	return nil
}

// unrouted checks the answer to a request no operation documents: a 404
// /problems/not-found or 405 /problems/method-not-allowed problem.
func (v *Validator) unrouted(ex Exchange) error {
	want := map[int]string{http.StatusNotFound: "/problems/not-found", http.StatusMethodNotAllowed: "/problems/method-not-allowed"}[ex.Status]
	if want == "" {
		return fmt.Errorf("status %d", ex.Status)
	}
	if mt, _, _ := mime.ParseMediaType(ex.Header.Get("Content-Type")); mt != "application/problem+json" {
		return fmt.Errorf("Content-Type %q", ex.Header.Get("Content-Type"))
	}
	var body any
	if err := json.Unmarshal(ex.Body, &body); err != nil {
		return err
	}
	if err := v.problem.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
		return err
	}
	if m, _ := body.(map[string]any); m["type"] != want {
		return fmt.Errorf("type %v, want %s", m["type"], want)
	}
	return nil
}

// bearerRoles is the document's bearer scheme as the validator checks it:
// a bearer token whose claims (read, not verified: the server verifies)
// carry every role the requirement names, from a role, roles or
// realm_access.roles claim.
func bearerRoles(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return in.NewError(errors.New("no bearer token"))
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(strings.TrimSpace(tok), claims); err != nil {
		return in.NewError(fmt.Errorf("not a JWT: %w", err))
	}
	have := roles(claims)
	for _, r := range in.Scopes {
		if !slices.Contains(have, r) {
			return in.NewError(fmt.Errorf("the token lacks role %q (has %v)", r, have))
		}
	}
	return nil
}

func roles(c jwt.MapClaims) []string {
	var out []string
	add := func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, s := range v {
				if s, ok := s.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	add(c["role"])
	add(c["roles"])
	if ra, ok := c["realm_access"].(map[string]any); ok {
		add(ra["roles"])
	}
	return out
}

// TB is the part of testing.TB the wrappers report to.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Handler returns h with every exchange checked; a mismatch fails t.
func (v *Validator) Handler(t TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody []byte
		if r.Body != nil {
			reqBody, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if err := v.Check(Exchange{Request: r, RequestBody: reqBody, Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}); err != nil {
			t.Errorf("openapi: %v", err)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// RoundTripper returns rt (nil: http.DefaultTransport) with every exchange
// checked; a mismatch fails t.
func (v *Validator) RoundTripper(t TB, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripper{v: v, t: t, next: rt}
}

type roundTripper struct {
	v    *Validator
	t    TB
	next http.RoundTripper
}

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	var reqBody []byte
	if r.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := rt.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := rt.v.Check(Exchange{Request: r, RequestBody: reqBody, Status: resp.StatusCode, Header: resp.Header, Body: body}); err != nil {
		rt.t.Errorf("openapi: %v", err)
	}
	return resp, nil
}

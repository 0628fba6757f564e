package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/vetclinic/clinic/httpapi/openapitest"
)

// TestOpenAPIDocumentIsServed: the document is served without a token, as
// JSON, and is a valid OpenAPI 3.1 description.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	s := New(Config{Verifier: newTestAuth(t).verifier})
	code, hdr, body := call(t, s, "GET", "/api/v1/openapi.json", "", "")
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/v1/openapi.json = %d %q", code, hdr.Get("Content-Type"))
	}
	want, err := OpenAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("the served document is not the embedded one")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, %v", doc.OpenAPI, err)
	}
	if _, err := openapitest.New(body); err != nil {
		t.Error(err)
	}
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z]+)`)

// routeDiff compares the router's routes ("GET /a/:id") with the documented
// operations: the routes the document lacks, and the operations no route
// serves.
func routeDiff(routes []string, ops []openapitest.Operation) (undocumented, unserved []string) {
	documented := map[string]bool{}
	for _, o := range ops {
		documented[o.String()] = true
	}
	served := map[string]bool{}
	for _, r := range routes {
		r = ginParam.ReplaceAllString(r, "{$1}")
		served[r] = true
		if !documented[r] {
			undocumented = append(undocumented, r)
		}
	}
	for _, o := range ops {
		if !served[o.String()] {
			unserved = append(unserved, o.String())
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	return undocumented, unserved
}

func routerRoutes(s *Server) []string {
	var out []string
	for _, r := range s.engine.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// TestEveryRouteIsDocumented: every route the router registers (with
// every part of the API) is a documented operation, and every documented
// operation is a route.
func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	v, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	routes := routerRoutes(everyPartServer(t, newTestAuth(t)))
	if len(routes) < 50 {
		t.Fatalf("the router lists %d routes; is every part registered?", len(routes))
	}
	undocumented, unserved := routeDiff(routes, v.Operations())
	for _, r := range undocumented {
		t.Errorf("route %s is not in the OpenAPI document", r)
	}
	for _, o := range unserved {
		t.Errorf("the OpenAPI document has %s, which the router does not serve", o)
	}
}

// TestRouteDiffSeesBothDirections: the comparison above notices a route
// left out of the document and an operation left out of the router.
func TestRouteDiffSeesBothDirections(t *testing.T) {
	t.Parallel()
	v, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	routes := routerRoutes(everyPartServer(t, newTestAuth(t)))
	ops := v.Operations()
	extra := "DELETE /api/v1/reservations/:id"
	undocumented, _ := routeDiff(append(slices.Clone(routes), extra), ops)
	if !slices.Equal(undocumented, []string{"DELETE /api/v1/reservations/{id}"}) {
		t.Errorf("an undocumented route: diff %v", undocumented)
	}
	i := slices.Index(routes, "POST /api/v1/invoices/:id/void")
	if i < 0 {
		t.Fatal("the router has no void route")
	}
	_, unserved := routeDiff(slices.Delete(slices.Clone(routes), i, i+1), ops)
	if !slices.Equal(unserved, []string{"POST /api/v1/invoices/{id}/void"}) {
		t.Errorf("an unserved operation: diff %v", unserved)
	}
}

// BenchmarkOpenAPIConversion is the cost that openAPIJSON pays once.
func BenchmarkOpenAPIConversion(b *testing.B) {
	for b.Loop() {
		if _, err := yaml.YAMLToJSON(openAPIYAML); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContractCheck is what validating one test exchange costs: a
// staff read with its answer, checked against the document.
func BenchmarkContractCheck(b *testing.B) {
	v, err := contract()
	if err != nil {
		b.Fatal(err)
	}
	a := newTestAuthTB(b)
	tok, err := a.issuer.Issue("nurse-kim", "staff", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{Verifier: a.verifier, Clinic: testClinic(b)})
	req := httptest.NewRequest("GET", "/api/v1/doctors", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	ex := openapitest.Exchange{Request: req, Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
	for b.Loop() {
		if err := v.Check(ex); err != nil {
			b.Fatal(err)
		}
	}
}

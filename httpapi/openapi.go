package httpapi

import (
	_ "embed"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"
)

// openAPIYAML is the API's contract, kept as YAML so a reader can follow
// it; it is served as JSON.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON converts the embedded document once per process, on first
// use: the conversion takes a good part of a second, and its result never
// changes, so neither a Server nor a test pays it twice.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := yaml.YAMLToJSON(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("httpapi: the embedded OpenAPI document: %w", err)
	}
	return doc, nil
})

// OpenAPIDocument returns the OpenAPI 3.1 description of every route, as
// the server serves it at GET /api/v1/openapi.json. It returns an error only
// if the embedded document is not valid YAML, which a test rules out.
func OpenAPIDocument() ([]byte, error) { return openAPIJSON() }

// serveOpenAPI answers GET /api/v1/openapi.json. The contract is public: it
// needs no token.
func (s *Server) serveOpenAPI(c *gin.Context) {
	doc, err := OpenAPIDocument()
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json", doc)
}

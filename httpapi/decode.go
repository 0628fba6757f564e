package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// maxBody bounds a request body; commands are small.
const maxBody = 64 << 10

// decodeJSON reads c's body into v strictly: one JSON value, no unknown
// fields (a misspelt field must not be silently ignored in a medical record).
// Syntax errors are 400; wrong types and unknown fields are 422 naming the
// field.
func decodeJSON(c *gin.Context, v any) error {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &requestError{kind: kindMediaType, detail: "Content-Type must be application/json"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("the body must hold exactly one JSON value")
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for commands whose body may be left out.
func decodeOptionalJSON(c *gin.Context, v any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	err := decodeJSON(c, v)
	var re *requestError
	if errors.As(err, &re) && re.detail == errEmptyBody {
		return nil // chunked and empty
	}
	return err
}

const errEmptyBody = "the body is empty; send a JSON object"

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return malformed(errEmptyBody)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the JSON body ends too early")
	case errors.As(err, &syn):
		return malformed(fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &big):
		return &requestError{kind: kindTooLarge, detail: fmt.Sprintf("the body exceeds %d bytes", big.Limit)}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return malformed("the body must be a JSON object")
		}
		return invalid(fieldError{Field: typ.Field, Message: "must be " + jsonTypeName(typ.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return invalid(fieldError{Field: name, Message: "unknown field"})
	}
	return malformed("invalid JSON: " + err.Error())
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// pathUUID parses the path parameter name as a UUID (400 when it is not).
func pathUUID(c *gin.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil || id == uuid.Nil {
		return uuid.Nil, malformed(fmt.Sprintf("path parameter %s must be a UUID", name))
	}
	return id, nil
}

// pathDate parses the path parameter name as a YYYY-MM-DD date.
func pathDate(c *gin.Context, name string) (string, error) {
	s := c.Param(name)
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", malformed(fmt.Sprintf("path parameter %s must be a date YYYY-MM-DD", name))
	}
	return s, nil
}

// ifMatch reads If-Match: "<revision>". It returns nil when absent or "*".
func ifMatch(c *gin.Context) (*uint64, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	unq, err := strconv.Unquote(h)
	if err != nil {
		unq = h // tolerate a bare number
	}
	rev, err := strconv.ParseUint(unq, 10, 64)
	if err != nil {
		return nil, malformed(`If-Match must be a revision in quotes, like "3"`)
	}
	return &rev, nil
}

// idempotencyKey reads Idempotency-Key ("" when absent).
func idempotencyKey(c *gin.Context) (string, error) {
	k := c.GetHeader("Idempotency-Key")
	if len(k) > 200 {
		return "", malformed("Idempotency-Key is longer than 200 characters")
	}
	for _, r := range k {
		if r < 0x21 || r > 0x7e {
			return "", malformed("Idempotency-Key must be printable ASCII without spaces")
		}
	}
	return k, nil
}

// checks collects the failing fields of a request.
type checks []fieldError

func (ch *checks) add(field, msg string) { *ch = append(*ch, fieldError{Field: field, Message: msg}) }

func (ch *checks) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		ch.add(field, "is required")
	}
}

// err is nil when nothing failed, else a 422 naming every failing field.
func (ch checks) err() error {
	if len(ch) == 0 {
		return nil
	}
	return invalid(ch...)
}

// timestamp parses an RFC 3339 time with an explicit offset.
func (ch *checks) timestamp(field, v string) time.Time {
	if v == "" {
		ch.add(field, "is required")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		ch.add(field, "must be an RFC 3339 time with offset, like 2026-12-01T10:00:00+09:00")
	}
	return t
}

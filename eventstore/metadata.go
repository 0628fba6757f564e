package eventstore

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
)

// metaTarget returns the stream a metadata stream ("$$name") describes.
func metaTarget(stream string) (string, bool) {
	if strings.HasPrefix(stream, "$$") && len(stream) > 2 {
		return stream[2:], true
	}
	return "", false
}

// parseMeta reads the properties reads honour from a stream metadata
// document: $maxCount, $maxAge (seconds) and $tb. Anything unparsable is
// ignored, as it would be by a reader of the raw document.
func parseMeta(data []byte) streamMeta {
	var doc map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return streamMeta{}
	}
	var m streamMeta
	if n, ok := jsonInt(doc["$maxCount"]); ok && n > 0 {
		m.maxCount = n
	}
	if n, ok := jsonInt(doc["$maxAge"]); ok && n > 0 {
		m.maxAge = time.Duration(n) * time.Second
	}
	if n, ok := jsonInt(doc["$tb"]); ok && n > 0 {
		m.tb = n
	}
	return m
}

func jsonInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, false
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil {
			return 0, false
		}
		// Converting a float beyond int64 is undefined (on amd64 it gives
		// MinInt64). The client writes a deleted stream's $tb back as 2^63,
		// which must stay "deleted", not become a negative, ignored $tb.
		switch {
		case f >= math.MaxInt64:
			i = math.MaxInt64
		case f <= math.MinInt64:
			i = math.MinInt64
		default:
			i = int64(f)
		}
	}
	return i, true
}

// encodeMeta returns the metadata document doc with $tb set to tb.
func encodeMeta(doc []byte, tb int64) []byte {
	m := map[string]json.RawMessage{}
	if len(doc) > 0 {
		_ = json.Unmarshal(doc, &m)
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m["$tb"], _ = json.Marshal(tb)
	out, err := json.Marshal(m)
	if err != nil {
		return []byte(`{}`)
	}
	return out
}

func newUUID() uuid.UUID { return uuid.New() }

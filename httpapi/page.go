package httpapi

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// Every list of the API is paged the same way: ?limit= (default
// defaultPageLimit, at most maxPageLimit) and ?cursor= (opaque, URL-safe,
// from the "next" of the previous page). A list's answer keeps its shape and
// adds "next" unless it is the last page. A cursor names the position after
// the last item it follows by that item's sort key, not by an offset, so an
// item added or removed earlier in the list does not shift the next page.
const (
	defaultPageLimit = 50
	maxPageLimit     = 200
)

// cursorVersion begins every cursor, so the format can change.
const cursorVersion = "c1"

// page is one list request's page: how many items, after which sort key,
// and the list it belongs to (scope: the route and the filters that shape
// the list, so a cursor of another list, or of the same list with other
// filters, is refused).
type page struct {
	limit int
	after string // the sort key of the previous page's last item; "" on the first page
	scope string
}

// pageOf reads ?limit= and ?cursor= for the list named scope. It returns a
// 400 problem for a limit out of range and for a malformed or foreign cursor.
func pageOf(c *gin.Context, scope string) (page, error) {
	p := page{limit: defaultPageLimit, scope: scope}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageLimit {
			return p, malformed(fmt.Sprintf("query parameter limit must be an integer from 1 to %d", maxPageLimit))
		}
		p.limit = n
	}
	if raw := c.Query("cursor"); raw != "" {
		after, err := decodeCursor(raw, scope)
		if err != nil {
			return p, err
		}
		p.after = after
	}
	return p, nil
}

// scopeTag is a short digest of a list's scope, carried in its cursors.
func scopeTag(scope string) string {
	h := fnv.New64a()
	h.Write([]byte(scope))
	return strconv.FormatUint(h.Sum64(), 36)
}

// encodeCursor makes the cursor of the page after the item with sort key
// after, in the list named scope.
func encodeCursor(scope, after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "." + scopeTag(scope) + "." + after))
}

// decodeCursor returns the sort key a cursor of list scope follows. Errors:
// a 400 problem for anything that is not such a cursor.
func decodeCursor(raw, scope string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return "", malformed("query parameter cursor is not a cursor this API gave out")
	}
	version, rest, ok1 := strings.Cut(string(b), ".")
	tag, after, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || version != cursorVersion || after == "" {
		return "", malformed("query parameter cursor is not a cursor this API gave out")
	}
	if tag != scopeTag(scope) {
		return "", malformed("query parameter cursor belongs to another list (or to this list with other filters)")
	}
	return after, nil
}

// paginate returns the page of items that p asks for, and the cursor of the
// next page ("" on the last page). items are in the list's order, which is
// ascending by key, or descending when desc; keys are unique and compare as
// strings in that order (sortKey and indexKey make such keys).
func paginate[T any](items []T, p page, key func(T) string, desc bool) ([]T, string) {
	start := 0
	if p.after != "" {
		start = len(items)
		for i, it := range items {
			k := key(it)
			if (!desc && k > p.after) || (desc && k < p.after) {
				start = i
				break
			}
		}
	}
	end := min(start+p.limit, len(items))
	out := items[start:end]
	if out == nil {
		out = []T{} // a list answers [], never null
	}
	if end == len(items) || len(out) == 0 {
		return out, ""
	}
	return out, encodeCursor(p.scope, key(out[len(out)-1]))
}

// sortKey is an order-preserving key of a time and a tie-breaking id.
func sortKey(t time.Time, id string) string {
	return t.UTC().Format("20060102T150405.000000000") + "|" + id
}

// indexKey is an order-preserving key of a list index or a position.
func indexKey(n uint64, id string) string { return fmt.Sprintf("%020d|%s", n, id) }

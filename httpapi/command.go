package httpapi

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/commands"
)

// commandMeta is what every command carries from the request: the caller,
// the Idempotency-Key and the If-Match revision.
func commandMeta(c *gin.Context) (commands.Meta, error) {
	key, err := idempotencyKey(c)
	if err != nil {
		return commands.Meta{}, err
	}
	rev, err := ifMatch(c)
	if err != nil {
		return commands.Meta{}, err
	}
	by := principal(c).Subject
	if key != "" {
		// Keys are the caller's own: two callers who happen to pick the same
		// key must not get each other's results.
		key = by + "\x00" + key
	}
	return commands.Meta{By: by, IdempotencyKey: key, IfMatch: rev}, nil
}

// written answers a command with status, the body fields and the revision
// and position the command wrote at; the ETag lets the caller send the
// revision back in If-Match.
func written(c *gin.Context, status int, res commands.Result, fields gin.H) {
	body := gin.H{"revision": res.Revision, "position": res.Position}
	for k, v := range fields {
		body[k] = v
	}
	c.Header("ETag", etag(res.Revision))
	respond(c, status, body)
}

// etag is the strong entity tag of a stream revision, as If-Match takes it.
func etag(rev uint64) string { return strconv.Quote(strconv.FormatUint(rev, 10)) }

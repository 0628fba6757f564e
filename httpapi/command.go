package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

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

// idCommand reads the {id} of the aggregate a command targets (a
// reservation, medical record or invoice) and the command headers,
// answering the request itself when they are bad.
func (s *Server) idCommand(c *gin.Context) (uuid.UUID, commands.Meta, bool) {
	id, err := pathUUID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return uuid.Nil, commands.Meta{}, false
	}
	meta, err := commandMeta(c)
	if err != nil {
		s.writeError(c, err)
		return uuid.Nil, commands.Meta{}, false
	}
	return id, meta, true
}

// emptyBody accepts no body or an empty JSON object, for commands without
// input; it answers the request itself otherwise.
func (s *Server) emptyBody(c *gin.Context) bool {
	var req struct{}
	if err := decodeOptionalJSON(c, &req); err != nil {
		s.writeError(c, err)
		return false
	}
	return true
}

// answer writes the 200 of a command on aggregate id, or its error.
func (s *Server) answer(c *gin.Context, id uuid.UUID, res commands.Result, err error) {
	if err != nil {
		s.writeError(c, err)
		return
	}
	written(c, http.StatusOK, res, gin.H{"id": id})
}

package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
)

// CommandService runs the staff commands; *commands.Handler is one. The
// routes depend on this rather than on the handler, so their tests can
// answer with a fake instead of an event store.
type CommandService interface {
	OpenDay(ctx context.Context, cmd commands.OpenDay) (commands.Result, error)
	CloseDay(ctx context.Context, cmd commands.CloseDay) (commands.Result, error)
	PlaceReservation(ctx context.Context, cmd commands.PlaceReservation) (commands.PlaceResult, error)
	Reschedule(ctx context.Context, cmd commands.Reschedule) (commands.Result, error)
	Cancel(ctx context.Context, cmd commands.Cancel) (commands.Result, error)
	CheckIn(ctx context.Context, cmd commands.CheckIn) (commands.Result, error)
	Complete(ctx context.Context, cmd commands.Complete) (commands.Result, error)
	NoShow(ctx context.Context, cmd commands.NoShow) (commands.Result, error)
	RecordDiagnosis(ctx context.Context, cmd commands.RecordDiagnosis) (commands.Result, error)
	AddTreatments(ctx context.Context, cmd commands.AddTreatments) (commands.Result, error)
	AddPrescriptions(ctx context.Context, cmd commands.AddPrescriptions) (commands.Result, error)
	AddAddendum(ctx context.Context, cmd commands.AddAddendum) (commands.Result, error)
	Finalize(ctx context.Context, cmd commands.Finalize) (commands.FinalizeResult, error)
	RecordPayment(ctx context.Context, cmd commands.RecordPayment) (commands.PaymentResult, error)
	Refund(ctx context.Context, cmd commands.Refund) (commands.PaymentResult, error)
	// The corrections.
	CorrectDetails(ctx context.Context, cmd commands.CorrectDetails) (commands.Result, error)
	RemoveLine(ctx context.Context, cmd commands.RemoveLine) (commands.Result, error)
	CorrectLine(ctx context.Context, cmd commands.CorrectLine) (commands.Result, error)
	Discount(ctx context.Context, cmd commands.Discount) (commands.PaymentResult, error)
	VoidInvoice(ctx context.Context, cmd commands.VoidInvoice) (commands.VoidResult, error)
}

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

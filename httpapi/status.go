package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections/visits"
	"github.com/vetclinic/clinic/queries"
	"github.com/vetclinic/clinic/statuslink"
)

// StatusLinks checks the capability tokens of the customers' status page;
// *statuslink.Signer is one.
type StatusLinks interface {
	// Verify returns statuslink.ErrInvalid unless token was made for
	// reservation id and phone.
	Verify(token, reservationID, phone string) error
}

// DefaultStatusLinkExpiry is how long a status link keeps working after its
// visit is done (completed, cancelled or not attended), unless
// Config.StatusLinkExpiry says otherwise.
const DefaultStatusLinkExpiry = 30 * 24 * time.Hour

var (
	// errLinkUnknown is every token that shows nothing: malformed, altered,
	// another reservation's, or one whose phone is no longer on it. They
	// are one answer, so a caller learns nothing from which it was.
	errLinkUnknown = &requestError{kind: kindNotFound, detail: "this status link names no visit; use the latest link the clinic sent you"}
	// errLinkExpired is a genuine link past its visit's end plus the expiry.
	errLinkExpired = &requestError{kind: kindLinkExpired, detail: "this visit ended a while ago, so its status link no longer works; call the clinic for its details"}
)

// statusRoutes: the customers' status page and its data, for whoever holds
// a link; the token is the credential, so they take no bearer token and
// share the lookups' rate limit per client address.
func (s *Server) statusRoutes(q StaffReads, links StatusLinks) {
	limit := s.limitPerClient(s.cfg.LookupLimit)
	s.engine.GET("/api/v1/status/:token", limit, s.statusJSON(q, links))
	s.engine.GET("/status/", s.statusHome)
	s.engine.GET("/status/:token", limit, s.statusPage(q, links))
}

// customerStatus reads the visit that token names, as its customer may see
// it. It returns errLinkUnknown or errLinkExpired for a token that shows
// nothing, or the query layer's errors (a view behind, a store down).
func (s *Server) customerStatus(ctx context.Context, q StaffReads, links StatusLinks, token string) (StatusResponse, error) {
	id, err := statuslink.ReservationID(token)
	if err != nil {
		return StatusResponse{}, errLinkUnknown
	}
	v, pos, err := q.Visit(ctx, id, 0)
	if errors.Is(err, queries.ErrNotFound) {
		return StatusResponse{}, errLinkUnknown
	}
	if err != nil {
		return StatusResponse{}, err
	}
	if links.Verify(token, v.ID, v.CustomerPhone) != nil {
		return StatusResponse{}, errLinkUnknown
	}
	expiry := s.cfg.StatusLinkExpiry
	if expiry <= 0 {
		expiry = DefaultStatusLinkExpiry
	}
	var expires time.Time
	if done, ok := doneAt(v); ok {
		expires = done.Add(expiry)
		if !s.now().Before(expires) {
			return StatusResponse{}, errLinkExpired
		}
	}
	r := newStatusResponse(v, s.cfg.Clinic, s.zone(), expires)
	r.ViewPosition = pos
	// What was done and billed: the record once finalised (a draft is the
	// vet's, not yet the customer's), the bill once issued.
	if v.MedicalRecordID != "" {
		rec, _, err := q.Record(ctx, v.MedicalRecordID, 0)
		switch {
		case err == nil && rec.Status == "finalized":
			r.Care = newStatusCare(rec)
			r.addToTimeline("MedicalRecordFinalized", rec.FinalizedAt, s.zone())
		case err != nil && !errors.Is(err, queries.ErrNotFound):
			return StatusResponse{}, err
		}
	}
	if v.Bill != nil && v.Bill.InvoiceID != "" {
		inv, _, err := q.InvoiceDetail(ctx, v.Bill.InvoiceID, 0)
		switch {
		case err == nil:
			r.Bill = newStatusBill(inv, s.zone())
			r.addToTimeline("InvoiceIssued", inv.IssuedAt, s.zone())
			for _, p := range inv.Payments {
				r.addToTimeline("PaymentRecorded", p.At, s.zone())
			}
			for _, p := range inv.Refunds {
				r.addToTimeline("PaymentRefunded", p.At, s.zone())
			}
		case !errors.Is(err, queries.ErrNotFound):
			return StatusResponse{}, err
		}
	}
	slices.SortStableFunc(r.Timeline, func(a, b StatusTimelineEntry) int { return a.At.Compare(b.At) })
	return r, nil
}

// addToTimeline adds a change of the record or the bill to the visit's.
func (r *StatusResponse) addToTimeline(event string, at time.Time, loc *time.Location) {
	if at.IsZero() {
		return
	}
	r.Timeline = append(r.Timeline, StatusTimelineEntry{Event: event, Status: r.Status, At: at.UTC(), AtLocal: local(at, loc),
		Slot: r.Slot, SlotLocal: r.SlotLocal})
}

// doneAt is when the visit reached a status it cannot leave (completed,
// cancelled, not attended), if it has.
func doneAt(v visits.Visit) (time.Time, bool) {
	switch reservation.Status(v.Status) {
	case reservation.StatusCompleted, reservation.StatusCancelled, reservation.StatusNoShow:
	default:
		return time.Time{}, false
	}
	at := v.UpdatedAt
	for i := len(v.History) - 1; i >= 0 && v.History[i].Status == v.Status; i-- {
		at = v.History[i].At
	}
	return at, true
}

// statusJSON answers GET /api/v1/status/{token}: the visit as its customer
// sees it, or the same 404 for every token that names nothing, or 410 for
// a genuine link past its expiry.
func (s *Server) statusJSON(q StaffReads, links StatusLinks) gin.HandlerFunc {
	return func(c *gin.Context) {
		noStore(c)
		r, err := s.customerStatus(c.Request.Context(), q, links, c.Param("token"))
		if err != nil {
			s.queryError(c, err, 0)
			return
		}
		setViewPosition(c, r.ViewPosition)
		respond(c, http.StatusOK, r)
	}
}

// noStore keeps a customer's data out of shared caches and the browser's
// disk, and the link out of the Referer of anything the page links to.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("X-Robots-Tag", "noindex")
}

package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/availability"
	"github.com/vetclinic/clinic/projections/ledger"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/queries"
)

// LookupService answers the read side's queries; *queries.Service is one.
type LookupService interface {
	Reservation(ctx context.Context, v queries.Viewer, id string, minPosition uint64) (lookup.Reservation, uint64, error)
	// ReservationJSON is Reservation as the stored JSON object.
	ReservationJSON(ctx context.Context, v queries.Viewer, id string, minPosition uint64) ([]byte, uint64, error)
	Reservations(ctx context.Context, v queries.Viewer, phone string, minPosition uint64) ([]lookup.Reservation, uint64, error)
	DaySchedule(ctx context.Context, doctorID, day string, minPosition uint64) ([]lookup.Reservation, uint64, error)
	Invoice(ctx context.Context, invoiceID string, minPosition uint64) (ledger.InvoiceAccount, uint64, error)
	Customer(ctx context.Context, phone string, minPosition uint64) (ledger.CustomerAccount, uint64, error)
	Day(ctx context.Context, day string, minPosition uint64) (queries.LedgerDay, uint64, error)
	DoctorDay(ctx context.Context, doctorID, day string, minPosition uint64) (availability.Day, uint64, error)
	Availability(ctx context.Context, day string, minPosition uint64) ([]availability.Day, uint64, error)
	StaffReads
	ChangeFeed
}

// customerPhoneHeader carries the phone number a reservation was booked
// with, as the proof of a caller without a customer token.
const customerPhoneHeader = "X-Customer-Phone"

// lookupRoutes: the customers' lookup and the staff read routes. The
// lookup by id also takes callers without a token (id + X-Customer-Phone),
// so it hangs on the engine with optional authentication. Both lookups
// share one rate limit per client address, for every caller but staff.
func (s *Server) lookupRoutes(api, staff *gin.RouterGroup, q LookupService) {
	limit := s.limitPerClient(s.cfg.LookupLimit)
	s.engine.GET("/api/v1/lookup/reservations/:id", s.authenticateIfToken, limit, s.lookupReservation(q))
	api.GET("/lookup/reservations", limit, s.lookupReservations(q))

	staff.GET("/doctors/:doctorID/days/:date/reservations", s.daySchedule(q))
	staff.GET("/doctors/:doctorID/days/:date/availability", s.doctorDayAvailability(q))
	staff.GET("/availability", s.availability(q))
	staff.GET("/ledger/invoices/:id", s.ledgerInvoice(q))
	staff.GET("/ledger/customers/:phone", s.ledgerCustomer(q))
	staff.GET("/ledger/days/:date", s.ledgerDay(q))
}

// authenticateIfToken authenticates callers that send a token and lets
// the others through without a principal.
func (s *Server) authenticateIfToken(c *gin.Context) {
	if strings.TrimSpace(c.GetHeader("Authorization")) == "" {
		c.Next()
		return
	}
	s.authenticate(c)
}

func viewerOf(c *gin.Context) queries.Viewer {
	p := principal(c)
	v := queries.Viewer{Staff: p.IsStaff(), ClaimedPhone: c.GetHeader(customerPhoneHeader)}
	if p.HasRole(auth.RoleCustomer) {
		v.Phone = p.Subject
	}
	return v
}

// minPosition reads ?minPosition=, the position a command answered with.
func minPosition(c *gin.Context) (uint64, error) {
	raw := c.Query("minPosition")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, malformed("query parameter minPosition must be a non-negative integer (a position a command returned)")
	}
	return n, nil
}

// queryError maps the query layer's errors onto problems: an unknown or
// foreign reservation is the same 404; a view behind minPosition (after the
// bounded wait) and an event store that cannot say whether it is behind are
// 503 with Retry-After, like the write side's outages. pos is the position
// the view is really built up to, stated on a 503 for a view behind.
func (s *Server) queryError(c *gin.Context, err error, pos uint64) {
	switch {
	case errors.Is(err, queries.ErrNotFound):
		s.writeError(c, &requestError{kind: kindNotFound, detail: "no such reservation, or not yours"})
	case errors.Is(err, queries.ErrBehind):
		setViewPosition(c, pos)
		s.writeError(c, &requestError{kind: kindUnavailable, detail: "the view has not caught up with minPosition yet; try again shortly"})
	case errors.Is(err, projections.ErrSourceUnavailable):
		s.writeError(c, &requestError{kind: kindUnavailable, detail: "the event store cannot be reached to tell whether the view has reached minPosition; try again shortly"})
	default:
		s.writeError(c, err)
	}
}

// setViewPosition states the position the answer's view is built up to.
func setViewPosition(c *gin.Context, pos uint64) {
	c.Header("X-View-Position", strconv.FormatUint(pos, 10))
}

type reservationsResponse struct {
	Reservations []lookup.Reservation `json:"reservations"`
	Position     uint64               `json:"position"`
	Next         string               `json:"next,omitempty"`
}

func (s *Server) lookupReservation(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		minPos, err := minPosition(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		doc, pos, err := q.ReservationJSON(c.Request.Context(), viewerOf(c), c.Param("id"), minPos)
		if err != nil {
			s.queryError(c, err, pos)
			return
		}
		setViewPosition(c, pos)
		// The stored document goes out as it is, with the view's position
		// added as its first member.
		if len(doc) < 2 || doc[0] != '{' {
			s.writeError(c, fmt.Errorf("lookup document %s is not a JSON object", c.Param("id")))
			return
		}
		out := make([]byte, 0, len(doc)+40)
		out = append(out, `{"viewPosition":`...)
		out = strconv.AppendUint(out, pos, 10)
		if rest := bytes.TrimSpace(doc[1:]); len(rest) > 0 && rest[0] != '}' {
			out = append(out, ',')
		}
		out = append(out, doc[1:]...)
		c.Data(200, "application/json; charset=utf-8", out)
	}
}

// lookupReservations lists the caller's own reservations; staff name the
// customer with ?phone=.
func (s *Server) lookupReservations(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		minPos, err := minPosition(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		v := viewerOf(c)
		number := v.Phone
		if v.Staff {
			number = c.Query("phone")
			if phone.Normalize(number) == "" {
				s.writeError(c, invalid(fieldError{Field: "phone", Message: "staff name the customer's phone number"}))
				return
			}
		}
		pg, err := pageOf(c, "lookup-reservations|"+phone.Normalize(number))
		if err != nil {
			s.writeError(c, err)
			return
		}
		rs, pos, err := q.Reservations(c.Request.Context(), v, number, minPos)
		if err != nil {
			s.queryError(c, err, pos)
			return
		}
		rs, next := paginate(rs, pg, reservationKey, true) // latest slot first
		setViewPosition(c, pos)
		respond(c, 200, reservationsResponse{Reservations: rs, Position: pos, Next: next})
	}
}

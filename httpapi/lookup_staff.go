package httpapi

import (
	"errors"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections/availability"
	"github.com/vetclinic/clinic/projections/ledger"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/queries"
)

// positioned wraps a staff answer with the position its view is built to,
// and for a list the cursor of its next page.
type positioned struct {
	Position uint64 `json:"position"`
	Data     any    `json:"data"`
	Next     string `json:"next,omitempty"`
}

// staffRead runs one staff query and answers with its result; a missing
// document is a 404 naming what was asked for.
func (s *Server) staffRead(c *gin.Context, what string, read func(minPos uint64) (any, uint64, error)) {
	s.staffList(c, what, func(minPos uint64) (any, string, uint64, error) {
		v, pos, err := read(minPos)
		return v, "", pos, err
	})
}

// staffList is staffRead for a read that answers a page: the read returns
// the page's data and the cursor of the next page.
func (s *Server) staffList(c *gin.Context, what string, read func(minPos uint64) (any, string, uint64, error)) {
	minPos, err := minPosition(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	v, next, pos, err := read(minPos)
	if errors.Is(err, queries.ErrNotFound) {
		s.writeError(c, &requestError{kind: kindNotFound, detail: "no " + what})
		return
	}
	if err != nil {
		s.queryError(c, err, pos)
		return
	}
	setViewPosition(c, pos)
	respond(c, 200, positioned{Position: pos, Data: v, Next: next})
}

// pathDoctor reads the {doctorID} of a read: 400 when it cannot be a
// doctor id, 404 when the clinic has no such doctor (a process without the
// clinic's configuration knows only the first).
func (s *Server) pathDoctor(c *gin.Context) (string, error) {
	id := c.Param("doctorID")
	if !clinic.ValidDoctorID(id) {
		return "", malformed(fmt.Sprintf("path parameter doctorID must be 1 to %d letters, digits, '-' or '_'", clinic.MaxDoctorIDBytes))
	}
	if s.cfg.Clinic != nil {
		if _, ok := s.cfg.Clinic.Doctor(id); !ok {
			return "", fmt.Errorf("doctor %q: %w", id, clinic.ErrUnknownDoctor)
		}
	}
	return id, nil
}

func (s *Server) daySchedule(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := s.pathDoctor(c); err != nil {
			s.writeError(c, err)
			return
		}
		date, err := pathDate(c, "date")
		if err != nil {
			s.writeError(c, err)
			return
		}
		pg, err := pageOf(c, "day-schedule|"+c.Param("doctorID")+"|"+date)
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "schedule", func(minPos uint64) (any, string, uint64, error) {
			rs, pos, err := q.DaySchedule(c.Request.Context(), c.Param("doctorID"), date, minPos)
			out, next := paginate(rs, pg, reservationKey, false)
			return out, next, pos, err
		})
	}
}

func (s *Server) doctorDayAvailability(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := s.pathDoctor(c); err != nil {
			s.writeError(c, err)
			return
		}
		date, err := pathDate(c, "date")
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffRead(c, "opened day for this doctor and date", func(minPos uint64) (any, uint64, error) {
			return q.DoctorDay(c.Request.Context(), c.Param("doctorID"), date, minPos)
		})
	}
}

func (s *Server) availability(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		date := c.Query("date")
		if !isLookupDate(date) {
			s.writeError(c, invalid(fieldError{Field: "date", Message: "give ?date=YYYY-MM-DD"}))
			return
		}
		pg, err := pageOf(c, "availability|"+date)
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "availability", func(minPos uint64) (any, string, uint64, error) {
			ds, pos, err := q.Availability(c.Request.Context(), date, minPos)
			out, next := paginate(ds, pg, func(d availability.Day) string { return d.DoctorID }, false)
			return out, next, pos, err
		})
	}
}

func (s *Server) ledgerInvoice(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathUUID(c, "id")
		if err != nil {
			s.writeError(c, err)
			return
		}
		pg, err := pageOf(c, "ledger-invoice|"+id.String())
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "invoice in the ledger", func(minPos uint64) (any, string, uint64, error) {
			a, pos, err := q.Invoice(c.Request.Context(), id.String(), minPos)
			var next string
			a.Entries, next = paginate(a.Entries, pg, balanceLineKey(a.Entries), false)
			return a, next, pos, err
		})
	}
}

func (s *Server) ledgerCustomer(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		if phone.Normalize(c.Param("phone")) == "" {
			s.writeError(c, malformed("path parameter phone must be a phone number"))
			return
		}
		pg, err := pageOf(c, "ledger-customer|"+phone.Normalize(c.Param("phone")))
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "ledger for this customer", func(minPos uint64) (any, string, uint64, error) {
			a, pos, err := q.Customer(c.Request.Context(), c.Param("phone"), minPos)
			var next string
			a.Entries, next = paginate(a.Entries, pg, balanceLineKey(a.Entries), false)
			return a, next, pos, err
		})
	}
}

func (s *Server) ledgerDay(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		date, err := pathDate(c, "date")
		if err != nil {
			s.writeError(c, err)
			return
		}
		pg, err := pageOf(c, "ledger-day|"+date)
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "ledger day", func(minPos uint64) (any, string, uint64, error) {
			d, pos, err := q.Day(c.Request.Context(), date, minPos)
			es, next := paginate(d.Entries, pg, func(e ledger.Entry) string { return indexKey(e.Position, e.ID) }, false)
			return ledgerDayResponse{Totals: d.Totals, Entries: es}, next, pos, err
		})
	}
}

type ledgerDayResponse struct {
	Totals  ledger.DayTotals `json:"totals"`
	Entries []ledger.Entry   `json:"entries"`
}

// reservationKey orders reservations by slot, then id.
func reservationKey(r lookup.Reservation) string { return sortKey(r.Slot, r.ID) }

// balanceLineKey orders an account's entries as they were appended (an
// account only ever appends them), by their place in the list.
func balanceLineKey(lines []ledger.BalanceLine) func(ledger.BalanceLine) string {
	at := make(map[string]int, len(lines))
	for i, l := range lines {
		at[l.EntryID] = i
	}
	return func(l ledger.BalanceLine) string { return indexKey(uint64(at[l.EntryID]), l.EntryID) }
}

// isLookupDate reports whether s is a date YYYY-MM-DD.
func isLookupDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

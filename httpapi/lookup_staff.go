package httpapi

import (
	"errors"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections/ledger"
	"github.com/vetclinic/clinic/queries"
)

// positioned wraps a staff answer with the position its view is built to.
type positioned struct {
	Position uint64 `json:"position"`
	Data     any    `json:"data"`
}

// staffRead runs one staff query and answers with its result; a missing
// document is a 404 naming what was asked for.
func (s *Server) staffRead(c *gin.Context, what string, read func(minPos uint64) (any, uint64, error)) {
	minPos, err := minPosition(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	v, pos, err := read(minPos)
	if errors.Is(err, queries.ErrNotFound) {
		s.writeError(c, &requestError{kind: kindNotFound, detail: "no " + what})
		return
	}
	if err != nil {
		s.queryError(c, err)
		return
	}
	setViewPosition(c, pos)
	respond(c, 200, positioned{Position: pos, Data: v})
}

func (s *Server) daySchedule(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		date, err := pathDate(c, "date")
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffRead(c, "schedule", func(minPos uint64) (any, uint64, error) {
			return q.DaySchedule(c.Request.Context(), c.Param("doctorID"), date, minPos)
		})
	}
}

func (s *Server) doctorDayAvailability(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
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
		s.staffRead(c, "availability", func(minPos uint64) (any, uint64, error) {
			return q.Availability(c.Request.Context(), date, minPos)
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
		s.staffRead(c, "invoice in the ledger", func(minPos uint64) (any, uint64, error) {
			return q.Invoice(c.Request.Context(), id.String(), minPos)
		})
	}
}

func (s *Server) ledgerCustomer(q LookupService) gin.HandlerFunc {
	return func(c *gin.Context) {
		if phone.Normalize(c.Param("phone")) == "" {
			s.writeError(c, malformed("path parameter phone must be a phone number"))
			return
		}
		s.staffRead(c, "ledger for this customer", func(minPos uint64) (any, uint64, error) {
			return q.Customer(c.Request.Context(), c.Param("phone"), minPos)
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
		s.staffRead(c, "ledger day", func(minPos uint64) (any, uint64, error) {
			d, pos, err := q.Day(c.Request.Context(), date, minPos)
			return ledgerDayResponse{Totals: d.Totals, Entries: d.Entries}, pos, err
		})
	}
}

type ledgerDayResponse struct {
	Totals  ledger.DayTotals `json:"totals"`
	Entries []ledger.Entry   `json:"entries"`
}

// isLookupDate reports whether s is a date YYYY-MM-DD.
func isLookupDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

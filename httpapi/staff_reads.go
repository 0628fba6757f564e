package httpapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
	"github.com/vetclinic/clinic/queries"
)

// StaffReads answers the staff's reads of one reservation, record or
// invoice, the day sheet and the search; *queries.Service is one.
type StaffReads interface {
	Visit(ctx context.Context, id string, minPosition uint64) (visits.Visit, uint64, error)
	Record(ctx context.Context, id string, minPosition uint64) (records.Record, uint64, error)
	InvoiceDetail(ctx context.Context, id string, minPosition uint64) (invoices.Invoice, uint64, error)
	DaySheet(ctx context.Context, day string, minPosition uint64) ([]visits.Visit, uint64, error)
	SearchVisits(ctx context.Context, q queries.Search, minPosition uint64) ([]visits.Visit, uint64, error)
}

// staffReadRoutes: the staff's reads of the clinic's own data.
func (s *Server) staffReadRoutes(staff *gin.RouterGroup, q StaffReads) {
	staff.GET("/reservations/:id", s.readReservation(q))
	staff.GET("/reservations", s.searchReservations(q))
	staff.GET("/day-sheet", s.daySheet(q))
	staff.GET("/medical-records/:id", s.readRecord(q))
	staff.GET("/medical-records/:id/history", s.readRecordHistory(q))
	staff.GET("/invoices/:id", s.readInvoice(q))
}

// zone is the clinic's time zone (UTC when no clinic is configured).
func (s *Server) zone() *time.Location {
	if s.cfg.Clinic != nil && s.cfg.Clinic.Location != nil {
		return s.cfg.Clinic.Location
	}
	return time.UTC
}

func (s *Server) readReservation(q StaffReads) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathUUID(c, "id")
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffRead(c, "reservation", func(minPos uint64) (any, uint64, error) {
			v, pos, err := q.Visit(c.Request.Context(), id.String(), minPos)
			return newVisitResponse(v, s.zone()), pos, err
		})
	}
}

func (s *Server) readRecord(q StaffReads) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathUUID(c, "id")
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffRead(c, "medical record", func(minPos uint64) (any, uint64, error) {
			r, pos, err := q.Record(c.Request.Context(), id.String(), minPos)
			return newRecordResponse(r, s.zone()), pos, err
		})
	}
}

func (s *Server) readRecordHistory(q StaffReads) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathUUID(c, "id")
		if err != nil {
			s.writeError(c, err)
			return
		}
		pg, err := pageOf(c, "record-history|"+id.String())
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "medical record", func(minPos uint64) (any, string, uint64, error) {
			r, pos, err := q.Record(c.Request.Context(), id.String(), minPos)
			h, next := paginate(r.History, pg, func(ch records.Change) string { return indexKey(ch.Position, ch.Event) }, false)
			return RecordHistoryResponse{MedicalRecordID: r.ID, ReservationID: r.ReservationID, Entries: newChanges(h, s.zone())}, next, pos, err
		})
	}
}

func (s *Server) readInvoice(q StaffReads) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathUUID(c, "id")
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffRead(c, "invoice", func(minPos uint64) (any, uint64, error) {
			i, pos, err := q.InvoiceDetail(c.Request.Context(), id.String(), minPos)
			return newInvoiceResponse(i), pos, err
		})
	}
}

// daySheet answers GET /api/v1/day-sheet?date=: the clinic's day across
// doctors, by slot, a page at a time.
func (s *Server) daySheet(q StaffReads) gin.HandlerFunc {
	return func(c *gin.Context) {
		date := c.Query("date")
		if !isLookupDate(date) {
			s.writeError(c, invalid(fieldError{Field: "date", Message: "give ?date=YYYY-MM-DD (the clinic's date)"}))
			return
		}
		pg, err := pageOf(c, "day-sheet|"+date)
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "day sheet", func(minPos uint64) (any, string, uint64, error) {
			vs, pos, err := q.DaySheet(c.Request.Context(), date, minPos)
			vs, next := paginate(vs, pg, sheetKey, false)
			return DaySheetResponse{Date: date, TimeZone: s.zone().String(), Visits: newSheetRows(vs, s.zone())}, next, pos, err
		})
	}
}

// searchReservations answers GET /api/v1/reservations?phone=&name=&pet=&from=&to=&status=,
// latest slot first, a page at a time.
func (s *Server) searchReservations(q StaffReads) gin.HandlerFunc {
	return func(c *gin.Context) {
		sq := queries.Search{Phone: c.Query("phone"), Name: c.Query("name"), Pet: c.Query("pet"),
			From: c.Query("from"), To: c.Query("to"), Status: c.Query("status")}
		var ch checks
		for field, v := range map[string]string{"from": sq.From, "to": sq.To} {
			if v != "" && !isLookupDate(v) {
				ch.add(field, "must be a date YYYY-MM-DD (the clinic's date)")
			}
		}
		if sq.Status != "" && !validStatus(sq.Status) {
			ch.add("status", "one of booked, checked_in, completed, cancelled, no_show")
		}
		if err := ch.err(); err != nil {
			s.writeError(c, err)
			return
		}
		pg, err := pageOf(c, strings.Join([]string{"reservations", sq.Phone, sq.Name, sq.Pet, sq.From, sq.To, sq.Status}, "|"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		s.staffList(c, "reservations", func(minPos uint64) (any, string, uint64, error) {
			vs, pos, err := q.SearchVisits(c.Request.Context(), sq, minPos)
			if errors.Is(err, queries.ErrSearchTooWide) {
				return nil, "", 0, invalid(fieldError{Field: "phone", Message: "give a phone, a name or a pet, or from and to at most 92 days apart"})
			}
			vs, next := paginate(vs, pg, visitKey, true)
			return SearchResponse{Reservations: newSheetRows(vs, s.zone())}, next, pos, err
		})
	}
}

func validStatus(st string) bool {
	switch reservation.Status(st) {
	case reservation.StatusBooked, reservation.StatusCheckedIn, reservation.StatusCompleted, reservation.StatusCancelled, reservation.StatusNoShow:
		return true
	}
	return false
}

// visitKey orders visits by slot, then id (the search's order, reversed).
func visitKey(v visits.Visit) string { return sortKey(v.Slot, v.ID) }

// sheetKey orders a day's visits by slot, then doctor, then id.
func sheetKey(v visits.Visit) string { return sortKey(v.Slot, v.DoctorID+"|"+v.ID) }

package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/clinic"
)

type openDayRequest struct {
	Opens       string `json:"opens"`
	Closes      string `json:"closes"`
	SlotMinutes int    `json:"slotMinutes"`
	Capacity    int    `json:"capacity"`
	// Extra opens the day on a weekday the doctor does not usually work;
	// without it such a day is 409 schedule.not_working_day.
	Extra bool `json:"extra"`
}

// dayCommand reads the {doctorID} and {date} of a day command and the
// command headers, answering the request itself when they are bad.
func (s *Server) dayCommand(c *gin.Context) (doctorID, date string, meta commands.Meta, ok bool) {
	doctorID = c.Param("doctorID")
	if !clinic.ValidDoctorID(doctorID) {
		s.writeError(c, malformed("path parameter doctorID must be 1-64 letters, digits, '-' or '_'"))
		return "", "", meta, false
	}
	date, err := pathDate(c, "date")
	if err != nil {
		s.writeError(c, err)
		return "", "", meta, false
	}
	if meta, err = commandMeta(c); err != nil {
		s.writeError(c, err)
		return "", "", meta, false
	}
	return doctorID, date, meta, true
}

// openDay answers PUT /api/v1/doctors/{doctorID}/days/{date}: open a
// doctor's day or change its hours. Hours are validated by the domain.
func (s *Server) openDay(c *gin.Context) {
	doctorID, date, meta, ok := s.dayCommand(c)
	if !ok {
		return
	}
	var req openDayRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.OpenDay(c.Request.Context(), commands.OpenDay{
		Meta: meta, DoctorID: doctorID, Date: date,
		Opens: req.Opens, Closes: req.Closes, SlotMinutes: req.SlotMinutes, Capacity: req.Capacity, Extra: req.Extra,
	})
	if err != nil {
		s.writeError(c, err)
		return
	}
	written(c, http.StatusOK, res, gin.H{"doctorId": doctorID, "date": date})
}

type closeDayRequest struct {
	Reason string `json:"reason"`
}

// closeDay answers POST /api/v1/doctors/{doctorID}/days/{date}/close: the
// doctor does not work that day. A day with bookings is refused (409
// schedule.has_bookings, the detail naming them): staff move or cancel
// each visit first, which tells its customer.
func (s *Server) closeDay(c *gin.Context) {
	doctorID, date, meta, ok := s.dayCommand(c)
	if !ok {
		return
	}
	var req closeDayRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.CloseDay(c.Request.Context(), commands.CloseDay{Meta: meta, DoctorID: doctorID, Date: date, Reason: req.Reason})
	if err != nil {
		s.writeError(c, err)
		return
	}
	written(c, http.StatusOK, res, gin.H{"doctorId": doctorID, "date": date, "closed": true})
}

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
}

// openDay answers PUT /api/v1/doctors/{doctorID}/days/{date}: open a
// doctor's day or change its hours. Hours are validated by the domain.
func (s *Server) openDay(c *gin.Context) {
	doctorID := c.Param("doctorID")
	if !clinic.ValidDoctorID(doctorID) {
		s.writeError(c, malformed("path parameter doctorID must be 1-64 letters, digits, '-' or '_'"))
		return
	}
	date, err := pathDate(c, "date")
	if err != nil {
		s.writeError(c, err)
		return
	}
	meta, err := commandMeta(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req openDayRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.OpenDay(c.Request.Context(), commands.OpenDay{
		Meta: meta, DoctorID: doctorID, Date: date,
		Opens: req.Opens, Closes: req.Closes, SlotMinutes: req.SlotMinutes, Capacity: req.Capacity,
	})
	if err != nil {
		s.writeError(c, err)
		return
	}
	written(c, http.StatusOK, res, gin.H{"doctorId": doctorID, "date": date})
}

package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/reservation"
)

type placeRequest struct {
	Customer struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"customer"`
	Pet struct {
		Name    string `json:"name"`
		Species string `json:"species"`
	} `json:"pet"`
	DoctorID string `json:"doctorId"`
	Slot     string `json:"slot"`
	Reason   string `json:"reason"`
}

type placeResponse struct {
	ID              uuid.UUID `json:"id"`
	MedicalRecordID uuid.UUID `json:"medicalRecordId"`
	Revision        uint64    `json:"revision"`
	Position        uint64    `json:"position"`
}

// placeReservation answers POST /api/v1/reservations: book the slot, place
// the reservation and open its medical record. 201 with the new IDs.
func (s *Server) placeReservation(c *gin.Context) {
	meta, err := commandMeta(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req placeRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	var ch checks
	slot := ch.timestamp("slot", req.Slot)
	cmd := commands.PlaceReservation{
		Meta:     meta,
		Customer: reservation.Customer{Name: req.Customer.Name, Phone: req.Customer.Phone},
		Pet:      reservation.Pet{Name: req.Pet.Name, Species: req.Pet.Species},
		DoctorID: req.DoctorID, Slot: slot, Reason: req.Reason,
	}
	if len(ch) > 0 {
		// The slot did not parse: name the other failing fields as well,
		// so a form is fixed in one round.
		p := reservation.Place{Customer: cmd.Customer, Pet: cmd.Pet, DoctorID: cmd.DoctorID, Reason: cmd.Reason, Slot: time.Unix(0, 0)}
		s.writeError(c, invalid(append(ch, validationFields(p.Validate())...)...))
		return
	}
	res, err := s.cfg.Commands.PlaceReservation(c.Request.Context(), cmd)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/api/v1/reservations/"+res.ReservationID.String())
	c.Header("ETag", etag(res.Revision))
	respond(c, http.StatusCreated, placeResponse{res.ReservationID, res.MedicalRecordID, res.Revision, res.Position})
}

type rescheduleRequest struct {
	Slot     string `json:"slot"`
	DoctorID string `json:"doctorId"` // optional: another doctor
}

// reschedule answers POST /api/v1/reservations/{id}/reschedule.
func (s *Server) reschedule(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req rescheduleRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	// A missing slot is the domain's to report, after it knows the
	// reservation exists (an unknown one is 404 whatever the body says).
	var slot time.Time
	if req.Slot != "" {
		var ch checks
		if slot = ch.timestamp("slot", req.Slot); ch.err() != nil {
			s.writeError(c, ch.err())
			return
		}
	}
	res, err := s.cfg.Commands.Reschedule(c.Request.Context(), commands.Reschedule{Meta: meta, ReservationID: id, DoctorID: req.DoctorID, Slot: slot})
	s.answer(c, id, res, err)
}

type cancelRequest struct {
	Reason string `json:"reason"`
}

// cancel answers POST /api/v1/reservations/{id}/cancel.
func (s *Server) cancel(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req cancelRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.Cancel(c.Request.Context(), commands.Cancel{Meta: meta, ReservationID: id, Reason: req.Reason})
	s.answer(c, id, res, err)
}

// checkIn answers POST /api/v1/reservations/{id}/check-in.
func (s *Server) checkIn(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok || !s.emptyBody(c) {
		return
	}
	res, err := s.cfg.Commands.CheckIn(c.Request.Context(), commands.CheckIn{Meta: meta, ReservationID: id})
	s.answer(c, id, res, err)
}

// complete answers POST /api/v1/reservations/{id}/complete.
func (s *Server) complete(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok || !s.emptyBody(c) {
		return
	}
	res, err := s.cfg.Commands.Complete(c.Request.Context(), commands.Complete{Meta: meta, ReservationID: id})
	s.answer(c, id, res, err)
}

// noShow answers POST /api/v1/reservations/{id}/no-show.
func (s *Server) noShow(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok || !s.emptyBody(c) {
		return
	}
	res, err := s.cfg.Commands.NoShow(c.Request.Context(), commands.NoShow{Meta: meta, ReservationID: id})
	s.answer(c, id, res, err)
}

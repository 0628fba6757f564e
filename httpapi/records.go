package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/medicalrecord"
)

type diagnosisRequest struct {
	Findings  string `json:"findings"`
	Diagnosis string `json:"diagnosis"`
}

// recordDiagnosis answers POST /api/v1/medical-records/{id}/diagnosis.
func (s *Server) recordDiagnosis(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req diagnosisRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.RecordDiagnosis(c.Request.Context(), commands.RecordDiagnosis{
		Meta: meta, MedicalRecordID: id, Findings: req.Findings, Diagnosis: req.Diagnosis})
	s.answer(c, id, res, err)
}

type treatmentsRequest struct {
	Items []struct {
		Code     string `json:"code"`
		Quantity int    `json:"quantity"`
	} `json:"items"`
}

// addTreatments answers POST /api/v1/medical-records/{id}/treatments; the
// domain prices each item from the fee schedule.
func (s *Server) addTreatments(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req treatmentsRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	items := make([]medicalrecord.Treatment, len(req.Items))
	for i, it := range req.Items {
		items[i] = medicalrecord.Treatment{Code: it.Code, Quantity: it.Quantity}
	}
	res, err := s.cfg.Commands.AddTreatments(c.Request.Context(), commands.AddTreatments{Meta: meta, MedicalRecordID: id, Items: items})
	s.answer(c, id, res, err)
}

type prescriptionsRequest struct {
	Items []struct {
		Drug      string `json:"drug"`
		Dosage    string `json:"dosage"`
		Frequency string `json:"frequency"`
		Days      int    `json:"days"`
		Notes     string `json:"notes"`
	} `json:"items"`
}

// addPrescriptions answers POST /api/v1/medical-records/{id}/prescriptions.
func (s *Server) addPrescriptions(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req prescriptionsRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	items := make([]medicalrecord.Prescription, len(req.Items))
	for i, it := range req.Items {
		items[i] = medicalrecord.Prescription{Drug: it.Drug, Dosage: it.Dosage, Frequency: it.Frequency, Days: it.Days, Notes: it.Notes}
	}
	res, err := s.cfg.Commands.AddPrescriptions(c.Request.Context(), commands.AddPrescriptions{Meta: meta, MedicalRecordID: id, Items: items})
	s.answer(c, id, res, err)
}

type addendumRequest struct {
	Text string `json:"text"`
}

// addAddendum answers POST /api/v1/medical-records/{id}/addenda: the only
// way to correct a finalised record.
func (s *Server) addAddendum(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req addendumRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.AddAddendum(c.Request.Context(), commands.AddAddendum{Meta: meta, MedicalRecordID: id, Text: req.Text})
	s.answer(c, id, res, err)
}

type finalizeResponse struct {
	ID        uuid.UUID `json:"id"`
	InvoiceID uuid.UUID `json:"invoiceId"`
	Total     amount    `json:"total"`
	Revision  uint64    `json:"revision"`
	Position  uint64    `json:"position"`
}

type finalizeRequest struct {
	// NoCharge finalises a record without charged lines (a free visit).
	NoCharge bool `json:"noCharge"`
}

// finalize answers POST /api/v1/medical-records/{id}/finalize: lock the
// record and issue its invoice. The body is optional.
func (s *Server) finalize(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req finalizeRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.Finalize(c.Request.Context(), commands.Finalize{Meta: meta, MedicalRecordID: id, NoCharge: req.NoCharge})
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("ETag", etag(res.Revision))
	respond(c, http.StatusOK, finalizeResponse{id, res.InvoiceID, amountOf(res.Total), res.Revision, res.Position})
}

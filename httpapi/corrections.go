package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// The corrections: each is a new event, never an edit of what was stored.

// lineCommand reads the {id} and {line} of a treatment line command.
func (s *Server) lineCommand(c *gin.Context) (uuid.UUID, int, commands.Meta, bool) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return uuid.Nil, 0, meta, false
	}
	line, err := strconv.Atoi(c.Param("line"))
	if err != nil || line < 1 {
		s.writeError(c, malformed("path parameter line must be a line number (1, 2, ...)"))
		return uuid.Nil, 0, meta, false
	}
	return id, line, meta, true
}

type removeLineRequest struct {
	Reason string `json:"reason"`
}

// removeLine answers POST /api/v1/medical-records/{id}/treatments/{line}/remove.
func (s *Server) removeLine(c *gin.Context) {
	id, line, meta, ok := s.lineCommand(c)
	if !ok {
		return
	}
	var req removeLineRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.RemoveLine(c.Request.Context(), commands.RemoveLine{Meta: meta, MedicalRecordID: id, Line: line, Reason: req.Reason})
	s.answer(c, id, res, err)
}

type correctLineRequest struct {
	Code     string `json:"code"`
	Quantity int    `json:"quantity"`
}

// correctLine answers PUT /api/v1/medical-records/{id}/treatments/{line}.
func (s *Server) correctLine(c *gin.Context) {
	id, line, meta, ok := s.lineCommand(c)
	if !ok {
		return
	}
	var req correctLineRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.CorrectLine(c.Request.Context(), commands.CorrectLine{Meta: meta, MedicalRecordID: id, Line: line,
		Item: medicalrecord.Treatment{Code: req.Code, Quantity: req.Quantity}})
	s.answer(c, id, res, err)
}

type detailsRequest struct {
	Customer struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"customer"`
	Pet struct {
		Name    string `json:"name"`
		Species string `json:"species"`
	} `json:"pet"`
	Reason string `json:"reason"`
}

// correctDetails answers PUT /api/v1/reservations/{id}/details: the
// customer's name and contact phone and the pet, all given (the record and
// bill follow).
func (s *Server) correctDetails(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req detailsRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.CorrectDetails(c.Request.Context(), commands.CorrectDetails{Meta: meta, ReservationID: id,
		Customer: reservation.Customer{Name: req.Customer.Name, Phone: req.Customer.Phone},
		Pet:      reservation.Pet{Name: req.Pet.Name, Species: req.Pet.Species}, Reason: req.Reason})
	s.answer(c, id, res, err)
}

type discountRequest struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Reason   string `json:"reason"`
}

// discount answers POST /api/v1/invoices/{id}/discounts with the bill.
func (s *Server) discount(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req discountRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	var ch checks
	if req.Amount <= 0 {
		ch.add("amount", "must be a positive integer of minor units")
	}
	if err := ch.err(); err != nil {
		s.writeError(c, err)
		return
	}
	cur := req.Currency
	if cur == "" {
		cur = s.currency()
	}
	res, err := s.cfg.Commands.Discount(c.Request.Context(), commands.Discount{Meta: meta, InvoiceID: id,
		Amount: money.Money{Amount: req.Amount, Currency: cur}, Reason: req.Reason})
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.bill(c, res.PaymentID, res.Bill, res.Result, nil)
}

type voidRequest struct {
	Reason string `json:"reason"`
}

// voidInvoice answers POST /api/v1/invoices/{id}/void with the void bill
// and the medical record to finalise again.
func (s *Server) voidInvoice(c *gin.Context) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req voidRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.cfg.Commands.VoidInvoice(c.Request.Context(), commands.VoidInvoice{Meta: meta, InvoiceID: id, Reason: req.Reason})
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.bill(c, id, res.Bill, res.Result, gin.H{"medicalRecordId": res.MedicalRecordID})
}

// bill answers a correction of an invoice with the bill after it: its
// totals, the id of what the command created (a discount's) and fields.
func (s *Server) bill(c *gin.Context, id uuid.UUID, b invoice.Bill, res commands.Result, fields gin.H) {
	body := gin.H{
		"id": id, "invoiceId": b.InvoiceID, "total": amountOf(b.Total), "paid": amountOf(b.Paid),
		"refunded": amountOf(b.Refunded), "discounted": amountOf(zeroMoney(b.Discounted, b.Total.Currency)),
		"balance": amountOf(b.Balance), "status": string(b.Status),
	}
	for k, v := range fields {
		body[k] = v
	}
	written(c, http.StatusOK, res, body)
}

// zeroMoney is m, or zero of currency for a bill without discounts.
func zeroMoney(m money.Money, currency string) money.Money {
	if m.Currency == "" {
		return money.Zero(currency)
	}
	return m
}

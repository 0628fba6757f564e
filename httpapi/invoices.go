package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/money"
)

// amount is money on the wire: integer minor units and an ISO 4217 code.
type amount struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func amountOf(m money.Money) amount { return amount{m.Amount, m.Currency} }

type paymentRequest struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Method   string `json:"method"`
	Reason   string `json:"reason"` // refunds only
}

type paymentResponse struct {
	ID        uuid.UUID `json:"id"` // the payment's or refund's
	InvoiceID uuid.UUID `json:"invoiceId"`
	Total     amount    `json:"total"`
	Paid      amount    `json:"paid"`
	Refunded  amount    `json:"refunded"`
	Balance   amount    `json:"balance"`
	Status    string    `json:"status"`
	Revision  uint64    `json:"revision"`
	Position  uint64    `json:"position"`
}

// recordPayment answers POST /api/v1/invoices/{id}/payments.
func (s *Server) recordPayment(c *gin.Context) { s.payment(c, false) }

// refund answers POST /api/v1/invoices/{id}/refunds.
func (s *Server) refund(c *gin.Context) { s.payment(c, true) }

func (s *Server) payment(c *gin.Context, refund bool) {
	id, meta, ok := s.idCommand(c)
	if !ok {
		return
	}
	var req paymentRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	var ch checks
	if req.Amount <= 0 {
		ch.add("amount", "must be a positive integer of minor units")
	}
	ch.required("method", req.Method)
	if !refund && req.Reason != "" {
		ch.add("reason", "only refunds take a reason")
	}
	if err := ch.err(); err != nil {
		s.writeError(c, err)
		return
	}
	cur := req.Currency
	if cur == "" {
		cur = s.currency()
	}
	m := money.Money{Amount: req.Amount, Currency: cur}
	var res commands.PaymentResult
	var err error
	if refund {
		res, err = s.cfg.Commands.Refund(c.Request.Context(), commands.Refund{Meta: meta, InvoiceID: id, Amount: m, Method: req.Method, Reason: req.Reason})
	} else {
		res, err = s.cfg.Commands.RecordPayment(c.Request.Context(), commands.RecordPayment{Meta: meta, InvoiceID: id, Amount: m, Method: req.Method})
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	b := res.Bill
	c.Header("ETag", etag(res.Revision))
	respond(c, http.StatusOK, paymentResponse{
		ID: res.PaymentID, InvoiceID: id, Total: amountOf(b.Total), Paid: amountOf(b.Paid), Refunded: amountOf(b.Refunded),
		Balance: amountOf(b.Balance), Status: string(b.Status), Revision: res.Revision, Position: res.Position,
	})
}

// currency is the clinic's, or the default when no clinic is configured.
func (s *Server) currency() string {
	if s.cfg.Clinic != nil && s.cfg.Clinic.Currency != "" {
		return s.cfg.Clinic.Currency
	}
	return money.DefaultCurrency
}

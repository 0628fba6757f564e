package commands

// Rule: a payment (or a refund) is taken once, and never beyond what the
// invoice allows.
//
// Appends: one, PaymentRecorded (or PaymentRefunded) in invoice-<id>, with a
// payment ID derived from the command's ID. The invoice decides alone
// (balance, what was paid), so there is no step between two aggregates for
// a crash to cut and nothing for the sweep to complete: a crash before the
// append leaves nothing, one after it is done. A retry with the same key
// finds its event by ID and returns the first result; the invoice also
// ignores a payment ID it has seen.

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/money"
)

// RecordPayment records a payment on an invoice.
type RecordPayment struct {
	Meta
	InvoiceID uuid.UUID
	Amount    money.Money
	Method    string // card, cash, transfer, mobile
}

// Refund pays money back on an invoice.
type Refund struct {
	Meta
	InvoiceID uuid.UUID
	Amount    money.Money
	Method    string
	Reason    string
}

// PaymentResult is where a payment or refund landed, and the invoice after it.
type PaymentResult struct {
	PaymentID uuid.UUID // the payment's or the refund's ID
	Bill      invoice.Bill
	Result    // Revision of the invoice stream
}

func invoiceStep(name string, id uuid.UUID, ifMatch *uint64, fresh bool, decide func(*invoice.Invoice) ([]domain.Event, error)) step[*invoice.Invoice] {
	return step[*invoice.Invoice]{
		name: name, stream: invoice.Stream(id), ifMatch: ifMatch, fresh: fresh,
		new:    func() *invoice.Invoice { return invoice.New(id) },
		decode: invoice.Decode, decide: decide,
	}
}

// RecordPayment records a payment. The payment's ID is derived from the
// command's, so with an IdempotencyKey a retried payment is taken once.
// Errors: invoice.ErrNotFound, ErrOverpayment, a *domain.ValidationError
// (amount, currency, method), ErrStale, ErrUnavailable.
func (h *Handler) RecordPayment(ctx context.Context, cmd RecordPayment) (PaymentResult, error) {
	c := h.begin("payment/"+cmd.InvoiceID.String(), cmd.Meta, cmd)
	id := uuid.NewSHA1(c.id, []byte("payment"))
	o, err := update(ctx, h, c, invoiceStep("payment", cmd.InvoiceID, cmd.IfMatch, false, func(i *invoice.Invoice) ([]domain.Event, error) {
		return i.Pay(id, cmd.Amount, cmd.Method, h.now(), c.by)
	}))
	if err != nil {
		return PaymentResult{}, fmt.Errorf("payment on %s: %w", cmd.InvoiceID, err)
	}
	return PaymentResult{PaymentID: id, Bill: o.agg.Bill(), Result: o.result(c)}, nil
}

// Refund pays back up to what was paid. Errors: invoice.ErrNotFound,
// ErrRefundTooLarge, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) Refund(ctx context.Context, cmd Refund) (PaymentResult, error) {
	c := h.begin("refund/"+cmd.InvoiceID.String(), cmd.Meta, cmd)
	id := uuid.NewSHA1(c.id, []byte("refund"))
	o, err := update(ctx, h, c, invoiceStep("refund", cmd.InvoiceID, cmd.IfMatch, false, func(i *invoice.Invoice) ([]domain.Event, error) {
		return i.Refund(id, cmd.Amount, cmd.Method, cmd.Reason, h.now(), c.by)
	}))
	if err != nil {
		return PaymentResult{}, fmt.Errorf("refund on %s: %w", cmd.InvoiceID, err)
	}
	return PaymentResult{PaymentID: id, Bill: o.agg.Bill(), Result: o.result(c)}, nil
}

// Discount lowers what is owed on an invoice.
type Discount struct {
	Meta
	InvoiceID uuid.UUID
	Amount    money.Money
	Reason    string
}

// Discount grants a discount up to the balance. Like a payment it is one
// append with an ID derived from the command's, so a retried discount is
// granted once. Errors: invoice.ErrNotFound, ErrVoided,
// ErrDiscountTooLarge, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) Discount(ctx context.Context, cmd Discount) (PaymentResult, error) {
	c := h.begin("discount/"+cmd.InvoiceID.String(), cmd.Meta, cmd)
	id := uuid.NewSHA1(c.id, []byte("discount"))
	o, err := update(ctx, h, c, invoiceStep("discount", cmd.InvoiceID, cmd.IfMatch, false, func(i *invoice.Invoice) ([]domain.Event, error) {
		return i.Discount(id, cmd.Amount, cmd.Reason, h.now(), c.by)
	}))
	if err != nil {
		return PaymentResult{}, fmt.Errorf("discount on %s: %w", cmd.InvoiceID, err)
	}
	return PaymentResult{PaymentID: id, Bill: o.agg.Bill(), Result: o.result(c)}, nil
}

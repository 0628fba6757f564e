// Package invoice is the bill of one finalised visit: issued from the
// medical record's priced lines, then paid (partly or fully, by any
// method) and possibly refunded. A voided visit is never billed: only a
// medicalrecord.Finalized event can issue an invoice.
package invoice

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// Errors returned by the commands.
var (
	ErrNotFound         = domain.NotFound("invoice.not_found", "no such invoice")
	ErrAlreadyIssued    = domain.Conflict("invoice.already_issued", "the invoice exists already")
	ErrOverpayment      = domain.Conflict("invoice.overpayment", "the payment exceeds the balance")
	ErrRefundTooLarge   = domain.Conflict("invoice.refund_exceeds_paid", "the refund exceeds what was paid")
	ErrVoided           = domain.Conflict("invoice.voided", "the invoice is void; its record is billed again under a new invoice")
	ErrDiscountTooLarge = domain.Conflict("invoice.discount_exceeds_balance", "the discount exceeds the balance; give paid money back as a refund")
	ErrHasPayments      = domain.Conflict("invoice.has_payments", "money is paid on the invoice: refund it before voiding")
)

// Errors lists the errors of this package's commands, as Types lists its
// events, so that an adapter can map every one of them (the HTTP API's
// problem types are derived from these lists).
func Errors() []*domain.Error {
	return []*domain.Error{ErrNotFound, ErrAlreadyIssued, ErrOverpayment, ErrRefundTooLarge,
		ErrVoided, ErrDiscountTooLarge, ErrHasPayments}
}

// Invoice is one bill, folded from its events.
type Invoice struct {
	id      uuid.UUID
	version int
	bill    Bill // as after the last event; zero before issue
	pet     reservation.Pet
	seen    map[uuid.UUID]bool
}

// New returns invoice id before any event.
func New(id uuid.UUID) *Invoice { return &Invoice{id: id, seen: map[uuid.UUID]bool{}} }

// ID returns the invoice's ID.
func (i *Invoice) ID() uuid.UUID { return i.id }

// Version is the number of events folded in.
func (i *Invoice) Version() int { return i.version }

// Issued reports whether the invoice exists.
func (i *Invoice) Issued() bool { return i.bill.Status != "" }

// Bill returns the totals as of the last event.
func (i *Invoice) Bill() Bill { return i.bill }

// Apply folds recorded events into i. Unknown events are ignored.
func (i *Invoice) Apply(events ...domain.Event) {
	for _, e := range events {
		switch e := e.(type) {
		case Issued:
			i.bill, i.pet = e.Bill, e.Pet
		case PaymentRecorded:
			i.bill = e.Bill
			i.seen[e.PaymentID] = true
		case PaymentRefunded:
			i.bill = e.Bill
			i.seen[e.RefundID] = true
		case DiscountGranted:
			i.bill = e.Bill
			i.seen[e.DiscountID] = true
		case Voided:
			i.bill = e.Bill
		case CustomerChanged:
			i.bill = e.Bill
			if e.Pet != (reservation.Pet{}) {
				i.pet = e.Pet
			}
		}
		i.version++
	}
}

// Issue bills the finalised record f. Errors: ErrAlreadyIssued, a
// *domain.ValidationError if f names another invoice.
func (i *Invoice) Issue(f medicalrecord.Finalized, at time.Time, by string) ([]domain.Event, error) {
	if f.InvoiceID != i.id {
		return nil, domain.Invalidf("invoiceId", "the record names another invoice")
	}
	if i.Issued() {
		return nil, ErrAlreadyIssued
	}
	zero := money.Zero(f.Total.Currency)
	b := Bill{
		InvoiceID: i.id, MedicalRecordID: f.MedicalRecordID, ReservationID: f.ReservationID, Customer: f.Customer,
		Total: f.Total, Paid: zero, Refunded: zero, Balance: f.Total, At: at.UTC(), By: by,
	}
	b.Status = status(b)
	return []domain.Event{Issued{Bill: b, Pet: f.Pet, DoctorID: f.DoctorID, Lines: f.Lines}}, nil
}

func status(b Bill) Status {
	switch {
	case b.Balance.Amount <= 0:
		return StatusPaid
	case b.Paid.Amount == 0 && b.Refunded.Amount > 0:
		return StatusRefunded
	case b.Paid.Amount == 0:
		return StatusOpen
	}
	return StatusPartiallyPaid
}

// checkAmount validates a payment or refund amount and method.
func (i *Invoice) checkAmount(amount money.Money, method string) error {
	v := domain.Validation()
	v.Check(amount.Amount > 0, "amount", "must be positive")
	v.Check(amount.Currency == i.bill.Total.Currency || !i.Issued(), "currency", "must be the invoice's currency")
	v.Check(ValidMethod(method), "method", "one of "+strings.Join(Methods(), ", "))
	if err := v.Err(); err != nil {
		return err
	}
	return i.open()
}

// Pay records a payment of amount by method under paymentID. Recording the
// same paymentID again changes nothing (a retried payment is not taken
// twice). Errors: ErrNotFound, ErrOverpayment, a *domain.ValidationError.
func (i *Invoice) Pay(paymentID uuid.UUID, amount money.Money, method string, at time.Time, by string) ([]domain.Event, error) {
	if err := i.checkAmount(amount, method); err != nil {
		return nil, err
	}
	if i.seen[paymentID] {
		return nil, nil
	}
	if amount.Amount > i.bill.Balance.Amount {
		return nil, fmt.Errorf("%v against a balance of %v: %w", amount, i.bill.Balance, ErrOverpayment)
	}
	b := i.bill
	b.Paid, _ = b.Paid.Add(amount)
	b.Balance, _ = b.Balance.Sub(amount)
	b.Status, b.At, b.By = status(b), at.UTC(), by
	return []domain.Event{PaymentRecorded{Bill: b, PaymentID: paymentID, Amount: amount, Method: method}}, nil
}

// Refund pays amount back by method under refundID, up to what was paid.
// Recording the same refundID again changes nothing. Errors: ErrNotFound,
// ErrRefundTooLarge, a *domain.ValidationError.
func (i *Invoice) Refund(refundID uuid.UUID, amount money.Money, method, reason string, at time.Time, by string) ([]domain.Event, error) {
	if err := i.checkAmount(amount, method); err != nil {
		return nil, err
	}
	v := domain.Validation()
	v.CheckReason(reason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if i.seen[refundID] {
		return nil, nil
	}
	if amount.Amount > i.bill.Paid.Amount {
		return nil, fmt.Errorf("%v against %v paid: %w", amount, i.bill.Paid, ErrRefundTooLarge)
	}
	b := i.bill
	b.Paid, _ = b.Paid.Sub(amount)
	b.Refunded, _ = b.Refunded.Add(amount)
	b.Balance, _ = b.Balance.Add(amount)
	b.Status, b.At, b.By = status(b), at.UTC(), by
	return []domain.Event{PaymentRefunded{Bill: b, RefundID: refundID, Amount: amount, Method: method, Reason: reason}}, nil
}

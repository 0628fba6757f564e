package invoice

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/domaintest"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

var (
	now   = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) // the fixed clock
	resID = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	recID = reservation.MedicalRecordID(resID)
	invID = medicalrecord.InvoiceID(recID)
	pay1  = uuid.MustParse("00000000-0000-0000-0000-0000000000f1")
	pay2  = uuid.MustParse("00000000-0000-0000-0000-0000000000f2")
	ref1  = uuid.MustParse("00000000-0000-0000-0000-0000000000e1")
	cust  = reservation.Customer{Name: "Jackson", Phone: "010-1234-5678"}
	coco  = reservation.Pet{Name: "Coco", Species: "dog"}
	lines = []medicalrecord.Line{{Code: "CONSULT", Description: "Consultation", Quantity: 2, UnitPrice: money.KRW(15000), LineTotal: money.KRW(30000)}}
)

func finalized() medicalrecord.Finalized {
	return medicalrecord.Finalized{MedicalRecordID: recID, ReservationID: resID, InvoiceID: invID, DoctorID: "dr-kim",
		Customer: cust, Pet: coco, Lines: lines, Total: money.KRW(30000), Status: medicalrecord.StatusFinalized}
}

func bill(paid, refunded int64, s Status) Bill {
	return Bill{InvoiceID: invID, MedicalRecordID: recID, ReservationID: resID, Customer: cust,
		Total: money.KRW(30000), Paid: money.KRW(paid), Refunded: money.KRW(refunded),
		Balance: money.KRW(30000 - paid), Status: s, At: now, By: "clerk"}
}

func issued() Issued {
	return Issued{Bill: bill(0, 0, StatusOpen), Pet: coco, DoctorID: "dr-kim", Lines: lines}
}

func paid(id uuid.UUID, amount, total int64) PaymentRecorded {
	s := StatusPartiallyPaid
	if total == 30000 {
		s = StatusPaid
	}
	return PaymentRecorded{Bill: bill(total, 0, s), PaymentID: id, Amount: money.KRW(amount), Method: MethodCard}
}

func TestInvoice(t *testing.T) {
	t.Parallel()
	tests := []domaintest.Case[*Invoice]{
		{
			Name: "issue from a finalised record",
			When: func(i *Invoice) ([]domain.Event, error) { return i.Issue(finalized(), now, "clerk") },
			Then: []domain.Event{issued()},
		},
		{
			Name:    "issue twice",
			Given:   []domain.Event{issued()},
			When:    func(i *Invoice) ([]domain.Event, error) { return i.Issue(finalized(), now, "clerk") },
			WantErr: ErrAlreadyIssued,
		},
		{
			Name: "issue for another invoice's record",
			When: func(i *Invoice) ([]domain.Event, error) {
				f := finalized()
				f.InvoiceID = uuid.New()
				return i.Issue(f, now, "clerk")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "partial payment",
			Given: []domain.Event{issued()},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(10000), MethodCard, now, "clerk")
			},
			Then: []domain.Event{paid(pay1, 10000, 10000)},
		},
		{
			Name:  "payment of the balance",
			Given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay2, money.KRW(20000), MethodCard, now, "clerk")
			},
			Then: []domain.Event{paid(pay2, 20000, 30000)},
		},
		{
			Name:  "payment beyond the balance",
			Given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay2, money.KRW(20001), MethodCash, now, "clerk")
			},
			WantErr: ErrOverpayment,
		},
		{
			Name:  "the same payment twice is taken once",
			Given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(10000), MethodCard, now, "clerk")
			},
		},
		{
			Name:  "payment in another currency",
			Given: []domain.Event{issued()},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.Money{Amount: 10, Currency: "USD"}, MethodCard, now, "clerk")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "payment by an unknown method or of nothing",
			Given: []domain.Event{issued()},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(0), "gold", now, "clerk")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name: "payment of an unknown invoice",
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(10), MethodCard, now, "clerk")
			},
			WantErr: ErrNotFound,
		},
		{
			Name:  "refund part of what was paid",
			Given: []domain.Event{issued(), paid(pay1, 30000, 30000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(5000), MethodCard, "overcharged", now, "clerk")
			},
			Then: []domain.Event{PaymentRefunded{Bill: bill(25000, 5000, StatusPartiallyPaid), RefundID: ref1,
				Amount: money.KRW(5000), Method: MethodCard, Reason: "overcharged"}},
		},
		{
			Name:  "refund everything",
			Given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(10000), MethodCard, "", now, "clerk")
			},
			Then: []domain.Event{PaymentRefunded{Bill: bill(0, 10000, StatusRefunded), RefundID: ref1,
				Amount: money.KRW(10000), Method: MethodCard}},
		},
		{
			Name:  "refund more than was paid",
			Given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(10001), MethodCard, "", now, "clerk")
			},
			WantErr: ErrRefundTooLarge,
		},
		{
			Name:  "refund before any payment",
			Given: []domain.Event{issued()},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(1), MethodCash, "", now, "clerk")
			},
			WantErr: ErrRefundTooLarge,
		},
	}
	domaintest.Run(t, func() *Invoice { return New(invID) }, tests)
}

func TestZeroInvoiceIsPaid(t *testing.T) {
	t.Parallel()
	f := finalized()
	f.Lines, f.Total = nil, money.KRW(0)
	got, err := New(invID).Issue(f, now, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	if s := got[0].(Issued).Status; s != StatusPaid {
		t.Fatalf("status = %s, want paid", s)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	domaintest.RoundTrip(t, Decode, issued(), paid(pay1, 10, 10),
		PaymentRefunded{Bill: bill(0, 10, StatusRefunded), RefundID: ref1, Amount: money.KRW(10), Method: MethodCash, Reason: "r"})
}

// TestValidationTexts pins the texts built from Methods and
// domain.MaxReasonBytes, which API clients see.
func TestValidationTexts(t *testing.T) {
	t.Parallel()
	i := New(invID)
	i.Apply(issued())
	_, err := i.Pay(pay1, money.KRW(1), "gold", now, "clerk")
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Fields["method"] != "one of card, cash, transfer, mobile" {
		t.Errorf("Pay by gold = %v, want the methods named", err)
	}
	i.Apply(PaymentRecorded{Bill: bill(10, 0, StatusPartiallyPaid), PaymentID: pay1, Amount: money.KRW(10), Method: MethodCash})
	_, err = i.Refund(ref1, money.KRW(1), MethodCash, strings.Repeat("x", 501), now, "clerk")
	if !errors.As(err, &ve) || ve.Fields["reason"] != "at most 500 bytes" {
		t.Errorf("Refund with a long reason = %v, want the bound named", err)
	}
	if _, err := i.Refund(ref1, money.KRW(1), MethodCash, strings.Repeat("x", 500), now, "clerk"); err != nil {
		t.Errorf("Refund with a reason of 500 bytes = %v", err)
	}
}

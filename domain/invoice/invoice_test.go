package invoice

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
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
	tests := []struct {
		name    string
		given   []domain.Event
		when    func(i *Invoice) ([]domain.Event, error)
		then    []domain.Event
		wantErr error
	}{
		{
			name: "issue from a finalised record",
			when: func(i *Invoice) ([]domain.Event, error) { return i.Issue(finalized(), now, "clerk") },
			then: []domain.Event{issued()},
		},
		{
			name:    "issue twice",
			given:   []domain.Event{issued()},
			when:    func(i *Invoice) ([]domain.Event, error) { return i.Issue(finalized(), now, "clerk") },
			wantErr: ErrAlreadyIssued,
		},
		{
			name: "issue for another invoice's record",
			when: func(i *Invoice) ([]domain.Event, error) {
				f := finalized()
				f.InvoiceID = uuid.New()
				return i.Issue(f, now, "clerk")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name:  "partial payment",
			given: []domain.Event{issued()},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(10000), MethodCard, now, "clerk")
			},
			then: []domain.Event{paid(pay1, 10000, 10000)},
		},
		{
			name:  "payment of the balance",
			given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay2, money.KRW(20000), MethodCard, now, "clerk")
			},
			then: []domain.Event{paid(pay2, 20000, 30000)},
		},
		{
			name:  "payment beyond the balance",
			given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay2, money.KRW(20001), MethodCash, now, "clerk")
			},
			wantErr: ErrOverpayment,
		},
		{
			name:  "the same payment twice is taken once",
			given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(10000), MethodCard, now, "clerk")
			},
		},
		{
			name:  "payment in another currency",
			given: []domain.Event{issued()},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.Money{Amount: 10, Currency: "USD"}, MethodCard, now, "clerk")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name:  "payment by an unknown method or of nothing",
			given: []domain.Event{issued()},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(0), "gold", now, "clerk")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name: "payment of an unknown invoice",
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Pay(pay1, money.KRW(10), MethodCard, now, "clerk")
			},
			wantErr: ErrNotFound,
		},
		{
			name:  "refund part of what was paid",
			given: []domain.Event{issued(), paid(pay1, 30000, 30000)},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(5000), MethodCard, "overcharged", now, "clerk")
			},
			then: []domain.Event{PaymentRefunded{Bill: bill(25000, 5000, StatusPartiallyPaid), RefundID: ref1,
				Amount: money.KRW(5000), Method: MethodCard, Reason: "overcharged"}},
		},
		{
			name:  "refund everything",
			given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(10000), MethodCard, "", now, "clerk")
			},
			then: []domain.Event{PaymentRefunded{Bill: bill(0, 10000, StatusRefunded), RefundID: ref1,
				Amount: money.KRW(10000), Method: MethodCard}},
		},
		{
			name:  "refund more than was paid",
			given: []domain.Event{issued(), paid(pay1, 10000, 10000)},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(10001), MethodCard, "", now, "clerk")
			},
			wantErr: ErrRefundTooLarge,
		},
		{
			name:  "refund before any payment",
			given: []domain.Event{issued()},
			when: func(i *Invoice) ([]domain.Event, error) {
				return i.Refund(ref1, money.KRW(1), MethodCash, "", now, "clerk")
			},
			wantErr: ErrRefundTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			i := New(invID)
			i.Apply(tt.given...)
			got, err := tt.when(i)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.then, got); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
		})
	}
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
	for _, e := range []domain.Event{issued(), paid(pay1, 10, 10),
		PaymentRefunded{Bill: bill(0, 10, StatusRefunded), RefundID: ref1, Amount: money.KRW(10), Method: MethodCash, Reason: "r"}} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(e.EventType(), data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", e.EventType(), err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", e.EventType(), diff)
		}
	}
}

package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
)

// TestVisitToPayment is the seed's scenario on the command side: book,
// change the date, cancel; book again, examine, bill, pay.
func TestVisitToPayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	first := f.place(t, f.kim, at(10, 0))
	if _, err := f.h.Reschedule(ctx, commands.Reschedule{ReservationID: first.ReservationID, Slot: at(11, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.Cancel(ctx, commands.Cancel{ReservationID: first.ReservationID, Reason: "changed plans"}); err != nil {
		t.Fatal(err)
	}

	res := f.place(t, f.kim, at(11, 0))
	rec := res.MedicalRecordID
	diagnose := commands.RecordDiagnosis{MedicalRecordID: rec, Findings: "itchy ears", Diagnosis: "otitis"}
	if _, err := f.h.RecordDiagnosis(ctx, diagnose); !errors.Is(err, medicalrecord.ErrNotStarted) {
		t.Fatalf("diagnosis before check-in: %v, want ErrNotStarted", err)
	}
	if _, err := f.h.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: rec,
		Items: []medicalrecord.Treatment{{Code: "CONSULT", Quantity: 1}, {Code: "VACC", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	_, err := f.h.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: rec, Items: []medicalrecord.Treatment{{Code: "GOLD", Quantity: 1}}})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Fields["items[0].code"] == "" {
		t.Fatalf("unknown fee: %v", err)
	}
	if _, err := f.h.AddPrescriptions(ctx, commands.AddPrescriptions{MedicalRecordID: rec,
		Items: []medicalrecord.Prescription{{Drug: "Otomax", Dosage: "4 drops", Frequency: "2x daily", Days: 7}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: rec}); !errors.Is(err, medicalrecord.ErrNotStarted) {
		t.Fatalf("finalize before check-in: %v", err)
	}
	if _, err := f.h.CheckIn(ctx, commands.CheckIn{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RecordDiagnosis(ctx, diagnose); err != nil {
		t.Fatal(err)
	}
	fin, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: rec})
	if err != nil {
		t.Fatal(err)
	}
	if fin.InvoiceID != medicalrecord.InvoiceID(rec) || fin.Total != money.KRW(55000) {
		t.Fatalf("finalized %+v", fin)
	}
	if _, err := f.h.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: rec, Items: []medicalrecord.Treatment{{Code: "CONSULT", Quantity: 1}}}); !errors.Is(err, medicalrecord.ErrFinalized) {
		t.Fatalf("edit after finalising: %v", err)
	}
	if _, err := f.h.AddAddendum(ctx, commands.AddAddendum{MedicalRecordID: rec, Text: "owner reports improvement"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.Complete(ctx, commands.Complete{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}

	pay := func(amount int64, key string) (commands.PaymentResult, error) {
		return f.h.RecordPayment(ctx, commands.RecordPayment{Meta: commands.Meta{IdempotencyKey: key}, InvoiceID: fin.InvoiceID,
			Amount: money.KRW(amount), Method: invoice.MethodCard})
	}
	p1, err := pay(20000, "pay-1")
	if err != nil || p1.Bill.Balance != money.KRW(35000) || p1.Bill.Status != invoice.StatusPartiallyPaid {
		t.Fatalf("first payment: %+v, %v", p1, err)
	}
	if again, err := pay(20000, "pay-1"); err != nil || again.PaymentID != p1.PaymentID || again.Result != p1.Result {
		t.Fatalf("retried payment: %+v, %v", again, err)
	}
	if _, err := pay(35001, ""); !errors.Is(err, invoice.ErrOverpayment) {
		t.Fatalf("overpayment: %v", err)
	}
	p2, err := pay(35000, "")
	if err != nil || p2.Bill.Balance != money.KRW(0) || p2.Bill.Status != invoice.StatusPaid {
		t.Fatalf("second payment: %+v, %v", p2, err)
	}
	r, err := f.h.Refund(ctx, commands.Refund{InvoiceID: fin.InvoiceID, Amount: money.KRW(5000), Method: invoice.MethodCard, Reason: "discount"})
	if err != nil || r.Bill.Paid != money.KRW(50000) || r.Bill.Refunded != money.KRW(5000) {
		t.Fatalf("refund: %+v, %v", r, err)
	}
	if _, err := f.h.Refund(ctx, commands.Refund{InvoiceID: fin.InvoiceID, Amount: money.KRW(50001), Method: invoice.MethodCard}); !errors.Is(err, invoice.ErrRefundTooLarge) {
		t.Fatalf("refund too large: %v", err)
	}
	wantTypes(t, f.store, invoice.Stream(fin.InvoiceID), invoice.TypeIssued, invoice.TypePaymentRecorded,
		invoice.TypePaymentRecorded, invoice.TypePaymentRefunded)
	// The cancelled visit's record is void and was never billed.
	wantTypes(t, f.store, medicalrecord.Stream(first.MedicalRecordID), medicalrecord.TypeOpened,
		medicalrecord.TypeVisitTimeChanged, medicalrecord.TypeVoided)
	if _, err := f.h.RecordPayment(ctx, commands.RecordPayment{InvoiceID: medicalrecord.InvoiceID(first.MedicalRecordID),
		Amount: money.KRW(1), Method: invoice.MethodCash}); !errors.Is(err, invoice.ErrNotFound) {
		t.Fatalf("payment on a voided visit: %v", err)
	}
}

package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
)

// TestFinalizeCrashIssuesOneInvoice: the record is finalised but the invoice
// append fails; the retry (same key) issues it, a third call changes nothing.
func TestFinalizeCrashIssuesOneInvoice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	if _, err := f.h.CheckIn(ctx, commands.CheckIn{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RecordDiagnosis(ctx, commands.RecordDiagnosis{MedicalRecordID: res.MedicalRecordID, Diagnosis: "healthy"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: res.MedicalRecordID, Items: []medicalrecord.Treatment{{Code: "CONSULT", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	crashing := &faulty{Store: f.store}
	crashing.fail = func(stream string) bool {
		return stream == invoice.Stream(medicalrecord.InvoiceID(res.MedicalRecordID))
	}
	h := commands.New(crashing, f.clinic, commands.Options{Clock: func() time.Time { return now }, CheckInWindow: wideWindow})
	cmd := commands.Finalize{Meta: commands.Meta{IdempotencyKey: "fin-1"}, MedicalRecordID: res.MedicalRecordID}
	if _, err := h.Finalize(ctx, cmd); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	first, err := f.h.Finalize(ctx, cmd)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	again, err := f.h.Finalize(ctx, cmd)
	if err != nil || again != first {
		t.Fatalf("second retry: %+v, %v; first %+v", again, err, first)
	}
	// Without the key, a finalised record reports ErrFinalized.
	if _, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: res.MedicalRecordID}); !errors.Is(err, medicalrecord.ErrFinalized) {
		t.Fatalf("unkeyed repeat: %v", err)
	}
	wantTypes(t, f.store, invoice.Stream(first.InvoiceID), invoice.TypeIssued)
	wantTypes(t, f.store, medicalrecord.Stream(res.MedicalRecordID), medicalrecord.TypeOpened,
		medicalrecord.TypeDiagnosisRecorded, medicalrecord.TypeTreatmentsAdded, medicalrecord.TypeFinalized)
}

// TestFinalizeCompletedBySweep: a finalise cut after locking the record, and
// never repeated, is completed by the sweep: the invoice is issued, once.
func TestFinalizeCompletedBySweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	if _, err := f.h.CheckIn(ctx, commands.CheckIn{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RecordDiagnosis(ctx, commands.RecordDiagnosis{MedicalRecordID: res.MedicalRecordID, Diagnosis: "healthy"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: res.MedicalRecordID, Items: []medicalrecord.Treatment{{Code: "CONSULT", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.crashAfter(1).Finalize(ctx, commands.Finalize{MedicalRecordID: res.MedicalRecordID}); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	wantTypes(t, f.store, invoice.Stream(medicalrecord.InvoiceID(res.MedicalRecordID)))
	if sum := f.sweep(t); done(sum) != (commands.SweepSummary{InvoicesIssued: 1}) {
		t.Fatalf("sweep did %+v", sum)
	}
	i := wantTypes(t, f.store, invoice.Stream(medicalrecord.InvoiceID(res.MedicalRecordID)), invoice.TypeIssued)[0].(invoice.Issued)
	if i.Total != money.KRW(15000) || i.MedicalRecordID != res.MedicalRecordID {
		t.Fatalf("issued %+v", i)
	}
	// The bill can be paid.
	if _, err := f.h.RecordPayment(ctx, commands.RecordPayment{InvoiceID: i.InvoiceID, Amount: money.KRW(15000), Method: invoice.MethodCard}); err != nil {
		t.Fatal(err)
	}
	if sum := f.sweep(t); sum.Completed() != 0 {
		t.Fatalf("sweep after payment did %+v", sum)
	}
}

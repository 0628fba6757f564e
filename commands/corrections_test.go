package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// examined places a visit at 10:00, checks it in, records a diagnosis and
// the lines of items.
func (f *fixture) examined(t *testing.T, items ...medicalrecord.Treatment) commands.PlaceResult {
	t.Helper()
	ctx := context.Background()
	f.openDay(t, f.kim, 1)
	res := f.place(t, f.kim, at(10, 0))
	if _, err := f.h.CheckIn(ctx, commands.CheckIn{ReservationID: res.ReservationID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RecordDiagnosis(ctx, commands.RecordDiagnosis{MedicalRecordID: res.MedicalRecordID, Diagnosis: "healthy"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.AddTreatments(ctx, commands.AddTreatments{MedicalRecordID: res.MedicalRecordID, Items: items}); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCorrectLines: a line removed and one corrected before finalising are
// not billed; after finalising lines are locked.
func TestCorrectLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	res := f.examined(t, medicalrecord.Treatment{Code: "CONSULT", Quantity: 1}, medicalrecord.Treatment{Code: "CONSULT", Quantity: 1},
		medicalrecord.Treatment{Code: "VACC", Quantity: 3})
	rec := res.MedicalRecordID
	if _, err := f.h.RemoveLine(ctx, commands.RemoveLine{MedicalRecordID: rec, Line: 2, Reason: "entered twice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RemoveLine(ctx, commands.RemoveLine{MedicalRecordID: rec, Line: 2}); err != nil {
		t.Fatalf("removing a removed line again: %v", err)
	}
	if _, err := f.h.CorrectLine(ctx, commands.CorrectLine{MedicalRecordID: rec, Line: 3, Item: medicalrecord.Treatment{Code: "VACC", Quantity: 1}}); err != nil {
		t.Fatal(err)
	}
	fin, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: rec})
	if err != nil || fin.Total != money.KRW(35000) {
		t.Fatalf("finalised %+v, %v; want 15000 + 20000", fin, err)
	}
	if _, err := f.h.RemoveLine(ctx, commands.RemoveLine{MedicalRecordID: rec, Line: 1}); !errors.Is(err, medicalrecord.ErrFinalized) {
		t.Fatalf("remove after finalising: %v", err)
	}
}

// TestVoidAndBillAgain: a paid invoice is not voided; once refunded it is,
// its record reopens, is corrected and billed again under a new invoice,
// and the void one takes no money. A discount lowers the new bill.
func TestVoidAndBillAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	res := f.examined(t, medicalrecord.Treatment{Code: "VACC", Quantity: 2})
	rec := res.MedicalRecordID
	first, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: rec})
	if err != nil {
		t.Fatal(err)
	}
	pay := commands.RecordPayment{InvoiceID: first.InvoiceID, Amount: money.KRW(10000), Method: invoice.MethodCard}
	if _, err := f.h.RecordPayment(ctx, pay); err != nil {
		t.Fatal(err)
	}
	void := commands.VoidInvoice{InvoiceID: first.InvoiceID, Reason: "billed two vaccines, gave one"}
	if _, err := f.h.VoidInvoice(ctx, void); !errors.Is(err, invoice.ErrHasPayments) {
		t.Fatalf("void a paid invoice: %v", err)
	}
	if _, err := f.h.Refund(ctx, commands.Refund{InvoiceID: first.InvoiceID, Amount: money.KRW(10000), Method: invoice.MethodCard}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.VoidInvoice(ctx, void); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RecordPayment(ctx, pay); !errors.Is(err, invoice.ErrVoided) {
		t.Fatalf("pay a void invoice: %v", err)
	}
	if _, err := f.h.CorrectLine(ctx, commands.CorrectLine{MedicalRecordID: rec, Line: 1, Item: medicalrecord.Treatment{Code: "VACC", Quantity: 1}}); err != nil {
		t.Fatalf("correct the reopened record: %v", err)
	}
	second, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: rec})
	if err != nil || second.InvoiceID == first.InvoiceID || second.InvoiceID != medicalrecord.InvoiceIDOf(rec, 1) || second.Total != money.KRW(20000) {
		t.Fatalf("finalised again: %+v, %v", second, err)
	}
	d, err := f.h.Discount(ctx, commands.Discount{InvoiceID: second.InvoiceID, Amount: money.KRW(5000), Reason: "regular"})
	if err != nil || d.Bill.Balance != money.KRW(15000) || d.Bill.Discounted != money.KRW(5000) {
		t.Fatalf("discount: %+v, %v", d.Bill, err)
	}
	wantTypes(t, f.store, invoice.Stream(second.InvoiceID), invoice.TypeIssued, invoice.TypeDiscountGranted)
}

// TestVoidCompletedBySweep: a void cut before the record reopened is
// completed by the sweep.
func TestVoidCompletedBySweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	res := f.examined(t, medicalrecord.Treatment{Code: "CONSULT", Quantity: 1})
	fin, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: res.MedicalRecordID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.crashAfter(1).VoidInvoice(ctx, commands.VoidInvoice{InvoiceID: fin.InvoiceID, Reason: "wrong visit"}); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	if sum := f.sweep(t); done(sum) != (commands.SweepSummary{RecordsReopened: 1}) {
		t.Fatalf("sweep did %+v", sum)
	}
	evs := read(t, f.store, medicalrecord.Stream(res.MedicalRecordID))
	if last := evs[len(evs)-1]; last.EventType() != medicalrecord.TypeReopened {
		t.Fatalf("record ends with %s", last.EventType())
	}
}

// TestCorrectDetails: a phone corrected on the reservation reaches its
// record and bill; cut after the reservation, the sweep completes it.
func TestCorrectDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	res := f.examined(t, medicalrecord.Treatment{Code: "CONSULT", Quantity: 1})
	fin, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: res.MedicalRecordID})
	if err != nil {
		t.Fatal(err)
	}
	fixed := commands.CorrectDetails{ReservationID: res.ReservationID, Customer: reservation.Customer{Name: "Jackson", Phone: "010-9999-0000"},
		Pet: reservation.Pet{Name: "Koko", Species: "dog"}, Reason: "typo"}
	if _, err := f.crashAfter(1).CorrectDetails(ctx, fixed); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	if sum := f.sweep(t); done(sum) != (commands.SweepSummary{DetailsFollowed: 2}) {
		t.Fatalf("sweep did %+v", sum)
	}
	c := wantTypes(t, f.store, invoice.Stream(fin.InvoiceID), invoice.TypeIssued, invoice.TypeCustomerChanged)[1].(invoice.CustomerChanged)
	if c.Customer.Phone != "010-9999-0000" || c.OldCustomer.Phone != "010-1234-5678" {
		t.Fatalf("bill follows %+v", c)
	}
	if _, err := f.h.CorrectDetails(ctx, fixed); err != nil {
		t.Fatalf("the same correction again: %v", err)
	}
	wantTypes(t, f.store, invoice.Stream(fin.InvoiceID), invoice.TypeIssued, invoice.TypeCustomerChanged)
}

// TestPetCorrectedAfterFinaliseReachesTheBill: a correction of the pet
// alone, after the record was billed, reaches the bill too (it followed
// only the customer, so the invoice kept naming the wrong pet).
func TestPetCorrectedAfterFinaliseReachesTheBill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	res := f.examined(t, medicalrecord.Treatment{Code: "CONSULT", Quantity: 1})
	fin, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: res.MedicalRecordID})
	if err != nil {
		t.Fatal(err)
	}
	issued := wantTypes(t, f.store, invoice.Stream(fin.InvoiceID), invoice.TypeIssued)[0].(invoice.Issued)
	fixed := commands.CorrectDetails{ReservationID: res.ReservationID, Customer: issued.Customer,
		Pet: reservation.Pet{Name: "Koko", Species: "cat"}, Reason: "wrong pet name"}
	if _, err := f.h.CorrectDetails(ctx, fixed); err != nil {
		t.Fatal(err)
	}
	c := wantTypes(t, f.store, invoice.Stream(fin.InvoiceID), invoice.TypeIssued, invoice.TypeCustomerChanged)[1].(invoice.CustomerChanged)
	if c.Pet != fixed.Pet || c.OldPet != issued.Pet || c.Customer != issued.Customer {
		t.Fatalf("bill follows %+v", c)
	}
}

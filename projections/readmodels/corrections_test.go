package readmodels_test

import (
	"testing"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/ledger"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// TestCorrectionsFoldIntoEveryReadModel: a line removed and a line
// corrected, the customer's phone and the pet corrected, a discount, a
// contact change on the bill and a void each reach every read model that
// shows what they change.
func TestCorrectionsFoldIntoEveryReadModel(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	add := appender(t, src)
	newPhone := reservation.Customer{Name: "Jackson", Phone: "010-9999-0000"}
	bean := reservation.Pet{Name: "Bean", Species: "cat"}
	line := func(code string, qty int, unit int64) medicalrecord.Line {
		return medicalrecord.Line{Code: code, Quantity: qty, UnitPrice: money.KRW(unit), LineTotal: money.KRW(unit * int64(qty))}
	}
	rec := func(e domain.Event) { add(medicalrecord.Stream(recID), e) }
	b := func(total, discounted int64, c reservation.Customer, status invoice.Status) invoice.Bill {
		out := bill(total, 0, 0, status, slot1)
		out.Customer, out.Discounted = c, money.KRW(discounted)
		return out
	}

	add(reservation.Stream(resID), reservation.Placed{Visit: visit(reservation.StatusBooked, "dr-kim", slot1, t0)})
	rec(medicalrecord.Opened{MedicalRecordID: recID, ReservationID: resID, DoctorID: "dr-kim", Customer: jackson, Pet: coco, Status: medicalrecord.StatusOpen, At: t0})
	rec(medicalrecord.TreatmentsAdded{MedicalRecordID: recID, ReservationID: resID, Items: []medicalrecord.Line{line("XRAY", 1, 50000), line("VAC", 1, 20000)}, Total: money.KRW(70000), At: t0})
	rec(medicalrecord.TreatmentLineRemoved{MedicalRecordID: recID, ReservationID: resID, LineNo: 1, Removed: line("XRAY", 1, 50000), Reason: "not done", Total: money.KRW(20000), At: t0})
	rec(medicalrecord.TreatmentLineCorrected{MedicalRecordID: recID, ReservationID: resID, LineNo: 2, Old: line("VAC", 1, 20000), Line: line("VAC", 2, 15000), Total: money.KRW(30000), At: t0})
	corrected := visit(reservation.StatusBooked, "dr-kim", slot1, t0)
	corrected.Customer, corrected.Pet = newPhone, bean
	add(reservation.Stream(resID), reservation.DetailsCorrected{Visit: corrected, OldCustomer: jackson, OldPet: coco, Reason: "typo"})
	rec(medicalrecord.PatientDetailsCorrected{MedicalRecordID: recID, ReservationID: resID, Customer: newPhone, Pet: bean, OldCustomer: jackson, OldPet: coco, At: t0})
	rec(medicalrecord.Finalized{MedicalRecordID: recID, ReservationID: resID, InvoiceID: invID, DoctorID: "dr-kim", Customer: jackson, Pet: bean,
		Lines: []medicalrecord.Line{line("VAC", 2, 15000)}, Total: money.KRW(30000), Status: medicalrecord.StatusFinalized, At: t0})
	inv := func(e domain.Event) projections.Event { return add(invoice.Stream(invID), e) }
	inv(invoice.Issued{Bill: b(30000, 0, jackson, invoice.StatusOpen), Pet: coco, DoctorID: "dr-kim", Lines: []medicalrecord.Line{line("VAC", 2, 15000)}})
	inv(invoice.DiscountGranted{Bill: b(25000, 5000, jackson, invoice.StatusOpen), Pet: bean, DiscountID: invID, Amount: money.KRW(5000), Reason: "loyal"})
	inv(invoice.CustomerChanged{Bill: b(25000, 5000, newPhone, invoice.StatusOpen), OldCustomer: jackson, Pet: bean, OldPet: coco})
	inv(invoice.Voided{Bill: b(25000, 5000, newPhone, invoice.StatusVoided), Pet: bean, Reason: "wrong visit"})
	last := add(medicalrecord.Stream(recID), medicalrecord.Reopened{MedicalRecordID: recID, ReservationID: resID, VoidedInvoiceID: invID, Reason: "wrong visit", Status: medicalrecord.StatusOpen, At: t0})

	read := runAll(t, src, store, last, 2)

	var i invoices.Invoice
	read("invoices~1", invoices.Coll, invID.String(), &i)
	if i.Status != "voided" || i.Discounted != 5000 || len(i.Discounts) != 1 || i.Discounts[0].Amount != 5000 || i.Total != 25000 ||
		i.CustomerPhone != newPhone.Phone || i.PetName != "Bean" || i.VoidReason != "wrong visit" {
		t.Errorf("invoice %+v", i)
	}
	var v visits.Visit
	read("visits~1", visits.Coll, resID.String(), &v)
	if v.PetName != "Bean" || v.CustomerPhone != newPhone.Phone || v.RecordStatus != "open" || v.Bill == nil ||
		v.Bill.Discounted != 5000 || v.Bill.Status != "voided" || v.Bill.Total != 25000 {
		t.Errorf("visit %+v bill %+v", v, v.Bill)
	}
	if k := v.IndexKeys(); k[visits.KeyPhone] != "01099990000" || k[visits.KeyPet] != "bean" {
		t.Errorf("visit keys %v", k)
	}
	var r records.Record
	read("records~1", records.Coll, recID.String(), &r)
	if r.Status != "open" || r.InvoiceID != "" || len(r.VoidedInvoices) != 1 || r.Visit.PetName != "Bean" || r.Visit.CustomerPhone != newPhone.Phone ||
		len(r.Lines) != 1 || r.Lines[0].No != 2 || r.Lines[0].Quantity != 2 || r.Lines[0].LineTotal != 30000 || r.Total != 30000 {
		t.Errorf("record %+v", r)
	}
	events := map[string]bool{}
	for _, c := range r.History {
		events[c.Event] = true
	}
	for _, want := range []string{medicalrecord.TypeLineRemoved, medicalrecord.TypeLineCorrected, medicalrecord.TypePatientCorrected, medicalrecord.TypeReopened} {
		if !events[want] {
			t.Errorf("record history has no %s: %+v", want, r.History)
		}
	}
	var l lookup.Reservation
	read("lookup~1", lookup.Coll, resID.String(), &l)
	if l.Pet.Name != "Bean" || l.Customer.Phone != newPhone.Phone || l.MedicalRecord.Status != "open" || l.Bill == nil ||
		l.Bill.Discounted != 5000 || l.Bill.Status != "voided" {
		t.Errorf("lookup %+v bill %+v", l, l.Bill)
	}
	var was, is ledger.CustomerAccount
	read("ledger~1", ledger.Customers, "01012345678", &was)
	read("ledger~1", ledger.Customers, "01099990000", &is)
	if was.Charged != 30000 || was.Discounted != 5000 || was.MovedOut != 25000 || was.Balance != 0 {
		t.Errorf("old phone's account %+v", was)
	}
	if is.MovedIn != 25000 || is.Voided != 25000 || is.Balance != 0 {
		t.Errorf("new phone's account %+v", is)
	}
	var acct ledger.InvoiceAccount
	read("ledger~1", ledger.Invoices, invID.String(), &acct)
	if acct.Phone != "01099990000" || acct.Balance != 0 || acct.Status != "voided" {
		t.Errorf("invoice account %+v", acct)
	}
}

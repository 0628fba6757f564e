package medicalrecord

import (
	"testing"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/domaintest"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

func treatedTwo() TreatmentsAdded {
	return TreatmentsAdded{MedicalRecordID: recID, ReservationID: resID, Items: []Line{consult, vacc2}, Total: money.KRW(55000), At: now, By: "dr-kim"}
}

func removed(no int, l Line, total int64) TreatmentLineRemoved {
	return TreatmentLineRemoved{MedicalRecordID: recID, ReservationID: resID, LineNo: no, Removed: l, Reason: "entered twice",
		Total: money.KRW(total), At: now, By: "dr-kim"}
}

func reopened() Reopened {
	return Reopened{MedicalRecordID: recID, ReservationID: resID, VoidedInvoiceID: InvoiceID(recID), Reason: "wrong lines",
		Status: StatusOpen, At: now, By: "nurse"}
}

func TestCorrections(t *testing.T) {
	t.Parallel()
	vacc1 := Line{Code: "VACC", Description: "Vaccination", Quantity: 1, UnitPrice: money.KRW(20000), LineTotal: money.KRW(20000)}
	refinalized := finalized()
	refinalized.InvoiceID = InvoiceIDOf(recID, 1)
	newCust := reservation.Customer{Name: "Jackson Lee", Phone: "010-9999-0000"}
	tests := []domaintest.Case[*Record]{
		{
			Name:  "remove a line",
			Given: []domain.Event{opened(), treatedTwo()},
			When:  func(r *Record) ([]domain.Event, error) { return r.RemoveLine(2, "entered twice", now, "dr-kim") },
			Then:  []domain.Event{removed(2, vacc2, 15000)},
		},
		{
			Name:  "remove a removed line changes nothing",
			Given: []domain.Event{opened(), treatedTwo(), removed(2, vacc2, 15000)},
			When:  func(r *Record) ([]domain.Event, error) { return r.RemoveLine(2, "entered twice", now, "dr-kim") },
		},
		{
			Name:    "remove a line that never was",
			Given:   []domain.Event{opened(), treatedTwo()},
			When:    func(r *Record) ([]domain.Event, error) { return r.RemoveLine(3, "", now, "dr-kim") },
			WantErr: ErrNoSuchLine,
		},
		{
			Name:    "remove a line after finalising",
			Given:   []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When:    func(r *Record) ([]domain.Event, error) { return r.RemoveLine(1, "", now, "dr-kim") },
			WantErr: ErrFinalized,
		},
		{
			Name:  "numbers are not reused: the line added after a removal is 3",
			Given: []domain.Event{opened(), treatedTwo(), removed(2, vacc2, 15000), treated()},
			When:  func(r *Record) ([]domain.Event, error) { return r.RemoveLine(3, "entered twice", now, "dr-kim") },
			Then:  []domain.Event{removed(3, consult, 0)}, // treated() states the total after it: 15000
		},
		{
			Name:  "correct a line's quantity",
			Given: []domain.Event{opened(), treatedTwo()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.CorrectLine(2, Treatment{Code: "VACC", Quantity: 1}, fees, DefaultCeiling, now, "dr-kim")
			},
			Then: []domain.Event{TreatmentLineCorrected{MedicalRecordID: recID, ReservationID: resID, LineNo: 2, Old: vacc2, Line: vacc1,
				Total: money.KRW(35000), At: now, By: "dr-kim"}},
		},
		{
			Name:  "the same correction again changes nothing",
			Given: []domain.Event{opened(), treated()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.CorrectLine(1, Treatment{Code: "CONSULT", Quantity: 1}, fees, DefaultCeiling, now, "dr-kim")
			},
		},
		{
			Name:  "correct to an unknown code",
			Given: []domain.Event{opened(), treated()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.CorrectLine(1, Treatment{Code: "GOLD", Quantity: 1}, fees, DefaultCeiling, now, "dr-kim")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "correct beyond the ceiling",
			Given: []domain.Event{opened(), treated()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.CorrectLine(1, Treatment{Code: "VACC", Quantity: 1000}, fees, DefaultCeiling, now, "dr-kim")
			},
			WantErr: ErrOverCeiling,
		},
		{
			Name:  "reopen after the invoice was voided",
			Given: []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.Reopen(InvoiceID(recID), "wrong lines", now, "nurse")
			},
			Then: []domain.Event{reopened()},
		},
		{
			Name:  "reopen twice for one voided invoice changes nothing",
			Given: []domain.Event{opened(), diagnosed(), treated(), finalized(), reopened()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.Reopen(InvoiceID(recID), "wrong lines", now, "nurse")
			},
		},
		{
			Name:    "reopen for another invoice",
			Given:   []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Reopen(uuid.New(), "", now, "nurse") },
			WantErr: ErrNotBilledBy,
		},
		{
			Name:    "reopen an open record",
			Given:   []domain.Event{opened()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Reopen(InvoiceID(recID), "", now, "nurse") },
			WantErr: ErrNotBilledBy,
		},
		{
			Name:  "a reopened record is finalised under the next invoice ID",
			Given: []domain.Event{opened(), diagnosed(), treated(), finalized(), reopened()},
			When:  func(r *Record) ([]domain.Event, error) { return r.Finalize(billed, now, "dr-kim") },
			Then:  []domain.Event{refinalized},
		},
		{
			Name:  "the patient's details follow the reservation",
			Given: []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When:  func(r *Record) ([]domain.Event, error) { return r.CorrectPatient(newCust, coco, now, "nurse") },
			Then: []domain.Event{PatientDetailsCorrected{MedicalRecordID: recID, ReservationID: resID, Customer: newCust, Pet: coco,
				OldCustomer: cust, OldPet: coco, At: now, By: "nurse"}},
		},
		{
			Name:  "following to the same details changes nothing",
			Given: []domain.Event{opened()},
			When:  func(r *Record) ([]domain.Event, error) { return r.CorrectPatient(cust, coco, now, "nurse") },
		},
	}
	domaintest.Run(t, func() *Record { return New(recID) }, tests)
	domaintest.RoundTrip(t, Decode, removed(2, vacc2, 15000), reopened(),
		TreatmentLineCorrected{MedicalRecordID: recID, LineNo: 1, Old: consult, Line: vacc1, Total: money.KRW(20000)},
		PatientDetailsCorrected{MedicalRecordID: recID, Customer: newCust, OldCustomer: cust})
}

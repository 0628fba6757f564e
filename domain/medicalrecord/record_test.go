package medicalrecord

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/domaintest"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

var (
	now   = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) // the fixed clock
	resID = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	recID = reservation.MedicalRecordID(resID)
	slot  = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	slot2 = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	cust  = reservation.Customer{Name: "Jackson", Phone: "010-1234-5678"}
	coco  = reservation.Pet{Name: "Coco", Species: "dog"}
	fees  = clinic.FeeSchedule{
		"CONSULT": {Code: "CONSULT", Description: "Consultation", Price: money.KRW(15000)},
		"VACC":    {Code: "VACC", Description: "Vaccination", Price: money.KRW(20000)},
	}
	consult = Line{Code: "CONSULT", Description: "Consultation", Quantity: 1, UnitPrice: money.KRW(15000), LineTotal: money.KRW(15000)}
	vacc2   = Line{Code: "VACC", Description: "Vaccination", Quantity: 2, UnitPrice: money.KRW(20000), LineTotal: money.KRW(40000)}
)

func opened() Opened {
	return Opened{MedicalRecordID: recID, ReservationID: resID, DoctorID: "dr-kim", Customer: cust, Pet: coco,
		VisitAt: slot, Reason: "vaccination", Status: StatusOpen, At: now, By: "nurse"}
}

func diagnosed() DiagnosisRecorded {
	return DiagnosisRecorded{MedicalRecordID: recID, ReservationID: resID, Findings: "healthy", Diagnosis: "none", At: now, By: "dr-kim"}
}

func treated() TreatmentsAdded {
	return TreatmentsAdded{MedicalRecordID: recID, ReservationID: resID, Items: []Line{consult}, Total: money.KRW(15000), At: now, By: "dr-kim"}
}

func finalized() Finalized {
	return Finalized{MedicalRecordID: recID, ReservationID: resID, InvoiceID: InvoiceID(recID), DoctorID: "dr-kim",
		Customer: cust, Pet: coco, VisitAt: slot, Findings: "healthy", Diagnosis: "none", Lines: []Line{consult},
		Total: money.KRW(15000), Status: StatusFinalized, At: now, By: "dr-kim"}
}

func voided() Voided {
	return Voided{MedicalRecordID: recID, ReservationID: resID, Reason: VoidCancelled, Status: StatusVoided, At: now, By: "nurse"}
}

// billed is how a checked-in visit with charged lines is finalised.
var billed = Finalizing{VisitStarted: true, Currency: "KRW", Ceiling: DefaultCeiling}

func TestRecord(t *testing.T) {
	t.Parallel()
	tests := []domaintest.Case[*Record]{
		{
			Name:  "diagnosis before check-in",
			Given: []domain.Event{opened()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.RecordDiagnosis(false, "healthy", "none", now, "dr-kim")
			},
			WantErr: ErrNotStarted,
		},
		{
			Name:  "treatments beyond the ceiling",
			Given: []domain.Event{opened()},
			When: func(r *Record) ([]domain.Event, error) {
				big := clinic.FeeSchedule{"SURG": {Code: "SURG", Description: "Surgery", Price: money.KRW(250_000)}}
				items := []Treatment{{Code: "SURG", Quantity: 1000}, {Code: "SURG", Quantity: 1000}, {Code: "SURG", Quantity: 1000}}
				return r.AddTreatments(items, big, DefaultCeiling, now, "dr-kim") // 750,000,000 KRW
			},
			WantErr: ErrOverCeiling,
		},
		{
			Name:  "finalise beyond a lowered ceiling",
			Given: []domain.Event{opened(), diagnosed(), treated()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.Finalize(Finalizing{VisitStarted: true, Ceiling: 10_000}, now, "dr-kim")
			},
			WantErr: ErrOverCeiling,
		},
		{
			Name:  "no-charge with charged lines",
			Given: []domain.Event{opened(), diagnosed(), treated()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.Finalize(Finalizing{VisitStarted: true, NoCharge: true}, now, "dr-kim")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name: "open",
			When: func(r *Record) ([]domain.Event, error) {
				return r.Open(reservation.Visit{ReservationID: resID, DoctorID: "dr-kim", Customer: cust, Pet: coco, Slot: slot}, "vaccination", now, "nurse")
			},
			Then: []domain.Event{opened()},
		},
		{
			Name:    "open twice",
			Given:   []domain.Event{opened()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Open(reservation.Visit{}, "", now, "nurse") },
			WantErr: ErrAlreadyOpened,
		},
		{
			Name:  "diagnose",
			Given: []domain.Event{opened()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.RecordDiagnosis(true, "healthy", "none", now, "dr-kim")
			},
			Then: []domain.Event{diagnosed()},
		},
		{
			Name:    "diagnose without a diagnosis",
			Given:   []domain.Event{opened()},
			When:    func(r *Record) ([]domain.Event, error) { return r.RecordDiagnosis(true, "healthy", " ", now, "dr-kim") },
			WantErr: domain.ErrValidation,
		},
		{
			Name: "diagnose unknown record",
			When: func(r *Record) ([]domain.Event, error) {
				return r.RecordDiagnosis(true, "healthy", "none", now, "dr-kim")
			},
			WantErr: ErrNotFound,
		},
		{
			Name:  "treatments priced from the fee schedule",
			Given: []domain.Event{opened(), treated()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "VACC", Quantity: 2}}, fees, 0, now, "dr-kim")
			},
			Then: []domain.Event{TreatmentsAdded{MedicalRecordID: recID, ReservationID: resID, Items: []Line{vacc2},
				Total: money.KRW(55000), At: now, By: "dr-kim"}},
		},
		{
			Name:  "treatment not in the fee schedule",
			Given: []domain.Event{opened()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "CONSULT", Quantity: 1}, {Code: "GOLD", Quantity: 1}}, fees, 0, now, "dr-kim")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "treatment quantity zero",
			Given: []domain.Event{opened()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "CONSULT"}}, fees, 0, now, "dr-kim")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "treatments on a finalised record",
			Given: []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "CONSULT", Quantity: 1}}, fees, 0, now, "dr-kim")
			},
			WantErr: ErrFinalized,
		},
		{
			Name:  "prescriptions",
			Given: []domain.Event{opened()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.AddPrescriptions([]Prescription{{Drug: "Amoxicillin", Dosage: "50mg", Frequency: "2x daily", Days: 7}}, now, "dr-kim")
			},
			Then: []domain.Event{PrescriptionsAdded{MedicalRecordID: recID, ReservationID: resID,
				Items: []Prescription{{Drug: "Amoxicillin", Dosage: "50mg", Frequency: "2x daily", Days: 7}}, At: now, By: "dr-kim"}},
		},
		{
			Name:  "prescription without a drug",
			Given: []domain.Event{opened()},
			When: func(r *Record) ([]domain.Event, error) {
				return r.AddPrescriptions([]Prescription{{Dosage: "50mg", Days: -1}}, now, "dr-kim")
			},
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "finalise",
			Given: []domain.Event{opened(), diagnosed(), treated()},
			When:  func(r *Record) ([]domain.Event, error) { return r.Finalize(billed, now, "dr-kim") },
			Then:  []domain.Event{finalized()},
		},
		{
			Name:    "finalise before check-in",
			Given:   []domain.Event{opened(), diagnosed(), treated()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Finalize(Finalizing{Currency: "KRW"}, now, "dr-kim") },
			WantErr: ErrNotStarted,
		},
		{
			Name:    "finalise without a diagnosis",
			Given:   []domain.Event{opened(), treated()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Finalize(billed, now, "dr-kim") },
			WantErr: ErrNoDiagnosis,
		},
		{
			Name:    "finalise twice",
			Given:   []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Finalize(billed, now, "dr-kim") },
			WantErr: ErrFinalized,
		},
		{
			Name:    "finalise a voided record",
			Given:   []domain.Event{opened(), diagnosed(), voided()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Finalize(billed, now, "dr-kim") },
			WantErr: ErrVoided,
		},
		{
			Name:    "edit the diagnosis after finalising",
			Given:   []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When:    func(r *Record) ([]domain.Event, error) { return r.RecordDiagnosis(true, "x", "y", now, "dr-kim") },
			WantErr: ErrFinalized,
		},
		{
			Name:  "addendum after finalising",
			Given: []domain.Event{opened(), diagnosed(), treated(), finalized()},
			When:  func(r *Record) ([]domain.Event, error) { return r.AddAddendum("also itchy", now, "dr-kim") },
			Then:  []domain.Event{AddendumAdded{MedicalRecordID: recID, ReservationID: resID, Text: "also itchy", At: now, By: "dr-kim"}},
		},
		{
			Name:    "addendum on a voided record",
			Given:   []domain.Event{opened(), voided()},
			When:    func(r *Record) ([]domain.Event, error) { return r.AddAddendum("x", now, "dr-kim") },
			WantErr: ErrVoided,
		},
		{
			Name:  "void",
			Given: []domain.Event{opened()},
			When:  func(r *Record) ([]domain.Event, error) { return r.Void(VoidCancelled, now, "nurse") },
			Then:  []domain.Event{voided()},
		},
		{
			Name:  "void twice changes nothing",
			Given: []domain.Event{opened(), voided()},
			When:  func(r *Record) ([]domain.Event, error) { return r.Void(VoidCancelled, now, "nurse") },
		},
		{
			Name:    "void a finalised record",
			Given:   []domain.Event{opened(), diagnosed(), finalized()},
			When:    func(r *Record) ([]domain.Event, error) { return r.Void(VoidCancelled, now, "nurse") },
			WantErr: ErrFinalized,
		},
		{
			Name:  "visit time follows a reschedule",
			Given: []domain.Event{opened()},
			When:  func(r *Record) ([]domain.Event, error) { return r.MoveVisit("dr-lee", slot2, now, "nurse") },
			Then: []domain.Event{VisitTimeChanged{MedicalRecordID: recID, ReservationID: resID, DoctorID: "dr-lee",
				OldVisitAt: slot, VisitAt: slot2, At: now, By: "nurse"}},
		},
		{
			Name:  "moving the visit where it is changes nothing",
			Given: []domain.Event{opened()},
			When:  func(r *Record) ([]domain.Event, error) { return r.MoveVisit("dr-kim", slot, now, "nurse") },
		},
	}
	domaintest.Run(t, func() *Record { return New(recID) }, tests)
}

// TestFinalizeWithoutLines: a record with nothing charged is finalised
// only when marked no-charge (a 0 invoice by mistake told the customer
// "0 billed"), and then bills 0 in the clinic's currency.
func TestFinalizeWithoutLines(t *testing.T) {
	t.Parallel()
	r := New(recID)
	r.Apply(opened(), diagnosed())
	if _, err := r.Finalize(billed, now, "dr-kim"); !errors.Is(err, ErrNoLines) {
		t.Fatalf("finalise without lines: err = %v, want ErrNoLines", err)
	}
	free := billed
	free.NoCharge = true
	got, err := r.Finalize(free, now, "dr-kim")
	if err != nil {
		t.Fatal(err)
	}
	if f := got[0].(Finalized); f.Total != money.KRW(0) || len(f.Lines) != 0 {
		t.Fatalf("total = %v, lines = %v", f.Total, f.Lines)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	domaintest.RoundTrip(t, Decode, opened(), diagnosed(), treated(), finalized(), voided(),
		PrescriptionsAdded{MedicalRecordID: recID, Items: []Prescription{{Drug: "d", Dosage: "x", Days: 3}}},
		AddendumAdded{MedicalRecordID: recID, Text: "t"},
		VisitTimeChanged{MedicalRecordID: recID, OldVisitAt: slot, VisitAt: slot2})
	if _, err := Decode("Nope", nil); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type err = %v", err)
	}
}

// TestPrescriptionTexts pins the validation texts built from the field bound.
func TestPrescriptionTexts(t *testing.T) {
	t.Parallel()
	r := New(recID)
	r.Apply(opened())
	_, err := r.AddPrescriptions([]Prescription{{Frequency: string(make([]byte, 501))}}, now, "dr-kim")
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	for field, want := range map[string]string{
		"items[0].drug": "required, at most 500 bytes", "items[0].dosage": "required, at most 500 bytes",
		"items[0].frequency": "at most 500 bytes",
	} {
		if got := ve.Fields[field]; got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
}

package medicalrecord

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
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

func TestRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		given   []domain.Event
		when    func(r *Record) ([]domain.Event, error)
		then    []domain.Event
		wantErr error
	}{
		{
			name: "open",
			when: func(r *Record) ([]domain.Event, error) {
				return r.Open(reservation.Visit{ReservationID: resID, DoctorID: "dr-kim", Customer: cust, Pet: coco, Slot: slot}, "vaccination", now, "nurse")
			},
			then: []domain.Event{opened()},
		},
		{
			name:    "open twice",
			given:   []domain.Event{opened()},
			when:    func(r *Record) ([]domain.Event, error) { return r.Open(reservation.Visit{}, "", now, "nurse") },
			wantErr: ErrAlreadyOpened,
		},
		{
			name:  "diagnose",
			given: []domain.Event{opened()},
			when:  func(r *Record) ([]domain.Event, error) { return r.RecordDiagnosis("healthy", "none", now, "dr-kim") },
			then:  []domain.Event{diagnosed()},
		},
		{
			name:    "diagnose without a diagnosis",
			given:   []domain.Event{opened()},
			when:    func(r *Record) ([]domain.Event, error) { return r.RecordDiagnosis("healthy", " ", now, "dr-kim") },
			wantErr: domain.ErrValidation,
		},
		{
			name:    "diagnose unknown record",
			when:    func(r *Record) ([]domain.Event, error) { return r.RecordDiagnosis("healthy", "none", now, "dr-kim") },
			wantErr: ErrNotFound,
		},
		{
			name:  "treatments priced from the fee schedule",
			given: []domain.Event{opened(), treated()},
			when: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "VACC", Quantity: 2}}, fees, now, "dr-kim")
			},
			then: []domain.Event{TreatmentsAdded{MedicalRecordID: recID, ReservationID: resID, Items: []Line{vacc2},
				Total: money.KRW(55000), At: now, By: "dr-kim"}},
		},
		{
			name:  "treatment not in the fee schedule",
			given: []domain.Event{opened()},
			when: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "CONSULT", Quantity: 1}, {Code: "GOLD", Quantity: 1}}, fees, now, "dr-kim")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name:  "treatment quantity zero",
			given: []domain.Event{opened()},
			when: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "CONSULT"}}, fees, now, "dr-kim")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name:  "treatments on a finalised record",
			given: []domain.Event{opened(), diagnosed(), treated(), finalized()},
			when: func(r *Record) ([]domain.Event, error) {
				return r.AddTreatments([]Treatment{{Code: "CONSULT", Quantity: 1}}, fees, now, "dr-kim")
			},
			wantErr: ErrFinalized,
		},
		{
			name:  "prescriptions",
			given: []domain.Event{opened()},
			when: func(r *Record) ([]domain.Event, error) {
				return r.AddPrescriptions([]Prescription{{Drug: "Amoxicillin", Dosage: "50mg", Frequency: "2x daily", Days: 7}}, now, "dr-kim")
			},
			then: []domain.Event{PrescriptionsAdded{MedicalRecordID: recID, ReservationID: resID,
				Items: []Prescription{{Drug: "Amoxicillin", Dosage: "50mg", Frequency: "2x daily", Days: 7}}, At: now, By: "dr-kim"}},
		},
		{
			name:  "prescription without a drug",
			given: []domain.Event{opened()},
			when: func(r *Record) ([]domain.Event, error) {
				return r.AddPrescriptions([]Prescription{{Dosage: "50mg", Days: -1}}, now, "dr-kim")
			},
			wantErr: domain.ErrValidation,
		},
		{
			name:  "finalise",
			given: []domain.Event{opened(), diagnosed(), treated()},
			when:  func(r *Record) ([]domain.Event, error) { return r.Finalize(true, "KRW", now, "dr-kim") },
			then:  []domain.Event{finalized()},
		},
		{
			name:    "finalise before check-in",
			given:   []domain.Event{opened(), diagnosed(), treated()},
			when:    func(r *Record) ([]domain.Event, error) { return r.Finalize(false, "KRW", now, "dr-kim") },
			wantErr: ErrNotStarted,
		},
		{
			name:    "finalise without a diagnosis",
			given:   []domain.Event{opened(), treated()},
			when:    func(r *Record) ([]domain.Event, error) { return r.Finalize(true, "KRW", now, "dr-kim") },
			wantErr: ErrNoDiagnosis,
		},
		{
			name:    "finalise twice",
			given:   []domain.Event{opened(), diagnosed(), treated(), finalized()},
			when:    func(r *Record) ([]domain.Event, error) { return r.Finalize(true, "KRW", now, "dr-kim") },
			wantErr: ErrFinalized,
		},
		{
			name:    "finalise a voided record",
			given:   []domain.Event{opened(), diagnosed(), voided()},
			when:    func(r *Record) ([]domain.Event, error) { return r.Finalize(true, "KRW", now, "dr-kim") },
			wantErr: ErrVoided,
		},
		{
			name:    "edit the diagnosis after finalising",
			given:   []domain.Event{opened(), diagnosed(), treated(), finalized()},
			when:    func(r *Record) ([]domain.Event, error) { return r.RecordDiagnosis("x", "y", now, "dr-kim") },
			wantErr: ErrFinalized,
		},
		{
			name:  "addendum after finalising",
			given: []domain.Event{opened(), diagnosed(), treated(), finalized()},
			when:  func(r *Record) ([]domain.Event, error) { return r.AddAddendum("also itchy", now, "dr-kim") },
			then:  []domain.Event{AddendumAdded{MedicalRecordID: recID, ReservationID: resID, Text: "also itchy", At: now, By: "dr-kim"}},
		},
		{
			name:    "addendum on a voided record",
			given:   []domain.Event{opened(), voided()},
			when:    func(r *Record) ([]domain.Event, error) { return r.AddAddendum("x", now, "dr-kim") },
			wantErr: ErrVoided,
		},
		{
			name:  "void",
			given: []domain.Event{opened()},
			when:  func(r *Record) ([]domain.Event, error) { return r.Void(VoidCancelled, now, "nurse") },
			then:  []domain.Event{voided()},
		},
		{
			name:  "void twice changes nothing",
			given: []domain.Event{opened(), voided()},
			when:  func(r *Record) ([]domain.Event, error) { return r.Void(VoidCancelled, now, "nurse") },
		},
		{
			name:    "void a finalised record",
			given:   []domain.Event{opened(), diagnosed(), finalized()},
			when:    func(r *Record) ([]domain.Event, error) { return r.Void(VoidCancelled, now, "nurse") },
			wantErr: ErrFinalized,
		},
		{
			name:  "visit time follows a reschedule",
			given: []domain.Event{opened()},
			when:  func(r *Record) ([]domain.Event, error) { return r.MoveVisit("dr-lee", slot2, now, "nurse") },
			then: []domain.Event{VisitTimeChanged{MedicalRecordID: recID, ReservationID: resID, DoctorID: "dr-lee",
				OldVisitAt: slot, VisitAt: slot2, At: now, By: "nurse"}},
		},
		{
			name:  "moving the visit where it is changes nothing",
			given: []domain.Event{opened()},
			when:  func(r *Record) ([]domain.Event, error) { return r.MoveVisit("dr-kim", slot, now, "nurse") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(recID)
			r.Apply(tt.given...)
			got, err := tt.when(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.then, got); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinalizeWithoutLines(t *testing.T) {
	t.Parallel()
	r := New(recID)
	r.Apply(opened(), diagnosed())
	got, err := r.Finalize(true, "KRW", now, "dr-kim")
	if err != nil {
		t.Fatal(err)
	}
	if f := got[0].(Finalized); f.Total != money.KRW(0) || len(f.Lines) != 0 {
		t.Fatalf("total = %v, lines = %v", f.Total, f.Lines)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, e := range []domain.Event{opened(), diagnosed(), treated(), finalized(), voided(),
		PrescriptionsAdded{MedicalRecordID: recID, Items: []Prescription{{Drug: "d", Dosage: "x", Days: 3}}},
		AddendumAdded{MedicalRecordID: recID, Text: "t"},
		VisitTimeChanged{MedicalRecordID: recID, OldVisitAt: slot, VisitAt: slot2}} {
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
	if _, err := Decode("Nope", nil); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type err = %v", err)
	}
}

package medicalrecord

import (
	"fmt"
	"strings"
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// Limits on what a record holds.
const (
	MaxText        = 10_000 // bytes of findings, diagnosis, an addendum
	MaxItems       = 100    // items per command
	MaxLines       = 500    // treatment lines per record (the finalised record carries them all)
	MaxNotes       = 2_000  // bytes of a prescription's notes
	MaxQuantity    = 1_000
	MaxDays        = 365
	maxFieldLength = 500
)

// Open opens the record of reservation v (the reservation's placed visit).
// Errors: ErrAlreadyOpened.
func (r *Record) Open(v reservation.Visit, reason string, at time.Time, by string) ([]domain.Event, error) {
	if r.status != "" {
		return nil, ErrAlreadyOpened
	}
	return []domain.Event{Opened{
		MedicalRecordID: r.id, ReservationID: v.ReservationID, DoctorID: v.DoctorID,
		Customer: v.Customer, Pet: v.Pet, VisitAt: v.Slot.UTC(), Reason: reason,
		Status: StatusOpen, At: at.UTC(), By: by,
	}}, nil
}

// RecordDiagnosis records findings and a diagnosis, replacing earlier ones.
// visitStarted says whether the reservation was checked in: nobody
// examines an animal that has not arrived. Errors: ErrNotFound,
// ErrFinalized, ErrVoided, ErrNotStarted, a *domain.ValidationError.
func (r *Record) RecordDiagnosis(visitStarted bool, findings, diagnosis string, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	v.Check(len(findings) <= MaxText, "findings", fmt.Sprintf("at most %d bytes", MaxText))
	v.Check(strings.TrimSpace(diagnosis) != "", "diagnosis", "required")
	v.Check(len(diagnosis) <= MaxText, "diagnosis", fmt.Sprintf("at most %d bytes", MaxText))
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := r.editable(); err != nil {
		return nil, err
	}
	if !visitStarted {
		return nil, ErrNotStarted
	}
	return []domain.Event{DiagnosisRecorded{
		MedicalRecordID: r.id, ReservationID: r.reservationID,
		Findings: findings, Diagnosis: diagnosis, At: at.UTC(), By: by,
	}}, nil
}

// Treatment asks for Quantity of the fee schedule's item Code.
type Treatment struct {
	Code     string
	Quantity int
}

// AddTreatments prices items from fees and adds them as lines. ceiling,
// when positive, bounds the record's total (minor units of its currency):
// one invoice is never more than the clinic allows. Errors: ErrNotFound,
// ErrFinalized, ErrVoided, ErrOverCeiling, a *domain.ValidationError naming
// each bad item (unknown code, quantity out of range).
func (r *Record) AddTreatments(items []Treatment, fees clinic.FeeSchedule, ceiling int64, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	v.Check(len(items) > 0, "items", "at least one")
	v.Check(len(items) <= MaxItems, "items", fmt.Sprintf("at most %d", MaxItems))
	v.Check(len(r.lines)+len(items) <= MaxLines, "items", fmt.Sprintf("a record holds at most %d lines", MaxLines))
	lines := make([]Line, 0, len(items))
	total := r.total
	for i, it := range items {
		f := fmt.Sprintf("items[%d]", i)
		fee, ok := fees.Lookup(it.Code)
		v.Check(ok, f+".code", "not in the fee schedule")
		v.Check(it.Quantity >= 1 && it.Quantity <= MaxQuantity, f+".quantity", fmt.Sprintf("must be 1 to %d", MaxQuantity))
		if !ok || it.Quantity < 1 || it.Quantity > MaxQuantity {
			continue
		}
		lt, err := fee.Price.Mul(int64(it.Quantity))
		if total.Currency == "" {
			total = money.Zero(fee.Price.Currency)
		}
		if err == nil {
			total, err = total.Add(lt)
		}
		if err != nil {
			v.Add(f+".code", err.Error())
			continue
		}
		lines = append(lines, Line{Code: fee.Code, Description: fee.Description, Quantity: it.Quantity, UnitPrice: fee.Price, LineTotal: lt})
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := r.editable(); err != nil {
		return nil, err
	}
	if err := checkCeiling(total, ceiling); err != nil {
		return nil, err
	}
	return []domain.Event{TreatmentsAdded{
		MedicalRecordID: r.id, ReservationID: r.reservationID, Items: lines, Total: total, At: at.UTC(), By: by,
	}}, nil
}

// checkCeiling returns ErrOverCeiling when ceiling is positive and total
// exceeds it.
func checkCeiling(total money.Money, ceiling int64) error {
	if ceiling > 0 && total.Amount > ceiling {
		return fmt.Errorf("total %v over %d: %w", total, ceiling, ErrOverCeiling)
	}
	return nil
}

// AddPrescriptions adds prescribed drugs. Errors: ErrNotFound,
// ErrFinalized, ErrVoided, a *domain.ValidationError.
func (r *Record) AddPrescriptions(items []Prescription, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	v.Check(len(items) > 0, "items", "at least one")
	v.Check(len(items) <= MaxItems, "items", fmt.Sprintf("at most %d", MaxItems))
	atMost := fmt.Sprintf("at most %d bytes", maxFieldLength)
	for i, p := range items {
		f := fmt.Sprintf("items[%d]", i)
		v.Check(strings.TrimSpace(p.Drug) != "" && len(p.Drug) <= maxFieldLength, f+".drug", "required, "+atMost)
		v.Check(strings.TrimSpace(p.Dosage) != "" && len(p.Dosage) <= maxFieldLength, f+".dosage", "required, "+atMost)
		v.Check(len(p.Frequency) <= maxFieldLength, f+".frequency", atMost)
		v.Check(p.Days >= 0 && p.Days <= MaxDays, f+".days", fmt.Sprintf("must be 0 to %d", MaxDays))
		v.Check(len(p.Notes) <= MaxNotes, f+".notes", fmt.Sprintf("at most %d bytes", MaxNotes))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := r.editable(); err != nil {
		return nil, err
	}
	return []domain.Event{PrescriptionsAdded{
		MedicalRecordID: r.id, ReservationID: r.reservationID, Items: append([]Prescription(nil), items...), At: at.UTC(), By: by,
	}}, nil
}

// Finalizing is what Finalize needs to know besides the record.
type Finalizing struct {
	// VisitStarted says whether the reservation was checked in: a visit
	// that never began is not billed.
	VisitStarted bool
	// NoCharge says the visit is deliberately free: only then may a record
	// without charged lines be finalised (a 0 invoice by mistake is refused).
	NoCharge bool
	// Currency is the total's when there are no lines.
	Currency string
	// Ceiling, when positive, bounds the total (minor units).
	Ceiling int64
}

// Finalize locks the record and names the invoice that bills its lines
// (InvoiceID of the record). Errors: ErrNotFound, ErrFinalized, ErrVoided,
// ErrNotStarted, ErrNoDiagnosis, ErrNoLines (no charged line and not
// NoCharge), ErrOverCeiling, a *domain.ValidationError for NoCharge on a
// record with charged lines.
func (r *Record) Finalize(f Finalizing, at time.Time, by string) ([]domain.Event, error) {
	if err := r.editable(); err != nil {
		return nil, err
	}
	if !f.VisitStarted {
		return nil, ErrNotStarted
	}
	if r.diagnosis == "" {
		return nil, ErrNoDiagnosis
	}
	total := zeroIfUnset(r.total, f.Currency)
	switch {
	case f.NoCharge && total.Amount != 0:
		return nil, domain.Invalidf("noCharge", "only for a record without charged lines")
	case !f.NoCharge && total.Amount == 0:
		return nil, ErrNoLines
	}
	if err := checkCeiling(total, f.Ceiling); err != nil {
		return nil, err
	}
	return []domain.Event{Finalized{
		MedicalRecordID: r.id, ReservationID: r.reservationID, InvoiceID: InvoiceIDOf(r.id, r.round),
		DoctorID: r.doctorID, Customer: r.customer, Pet: r.pet, VisitAt: r.visitAt,
		Findings: r.findings, Diagnosis: r.diagnosis, Lines: r.Lines(), Total: total,
		Status: StatusFinalized, At: at.UTC(), By: by,
	}}, nil
}

// AddAddendum adds a note to an open or finalised record; after finalising
// it is the only way to correct the record. Errors: ErrNotFound, ErrVoided,
// a *domain.ValidationError.
func (r *Record) AddAddendum(text string, at time.Time, by string) ([]domain.Event, error) {
	if strings.TrimSpace(text) == "" || len(text) > MaxText {
		return nil, domain.Invalidf("text", fmt.Sprintf("required, at most %d bytes", MaxText))
	}
	if err := r.editable(); err != nil && err != ErrFinalized {
		return nil, err
	}
	return []domain.Event{AddendumAdded{MedicalRecordID: r.id, ReservationID: r.reservationID, Text: text, At: at.UTC(), By: by}}, nil
}

// Void voids the record of a visit that will not take place. Voiding a void
// record changes nothing. Errors: ErrNotFound, ErrFinalized (a billed visit
// is never voided).
func (r *Record) Void(reason string, at time.Time, by string) ([]domain.Event, error) {
	switch r.status {
	case StatusVoided:
		return nil, nil
	case StatusOpen:
		return []domain.Event{Voided{MedicalRecordID: r.id, ReservationID: r.reservationID, Reason: reason,
			Status: StatusVoided, At: at.UTC(), By: by}}, nil
	}
	return nil, r.editable()
}

// MoveVisit follows a reschedule to doctorID at visitAt. Moving it to where
// it is changes nothing. Errors: ErrNotFound, ErrFinalized, ErrVoided.
func (r *Record) MoveVisit(doctorID string, visitAt time.Time, at time.Time, by string) ([]domain.Event, error) {
	if err := r.editable(); err != nil {
		return nil, err
	}
	if doctorID == r.doctorID && visitAt.Equal(r.visitAt) {
		return nil, nil
	}
	return []domain.Event{VisitTimeChanged{MedicalRecordID: r.id, ReservationID: r.reservationID, DoctorID: doctorID,
		OldVisitAt: r.visitAt, VisitAt: visitAt.UTC(), At: at.UTC(), By: by}}, nil
}

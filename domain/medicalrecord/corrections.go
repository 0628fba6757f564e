package medicalrecord

// Corrections of a record are events, never edits of history: a line is
// removed or corrected by an event that names it and says what it was, and
// a billed record whose invoice was voided is reopened by an event, after
// which it is finalised again under a new invoice ID.

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// InvoiceIDOf is the ID of the invoice of record id's billing round (0 for
// the first finalisation, 1 after the first reopening, ...). Round 0 is
// InvoiceID(id), so records finalised before reopening existed keep theirs.
func InvoiceIDOf(id uuid.UUID, round int) uuid.UUID {
	if round == 0 {
		return InvoiceID(id)
	}
	return uuid.NewSHA1(id, []byte("invoice/"+strconv.Itoa(round)))
}

// line returns the index in r.lines of line number no, or -1.
func (r *Record) line(no int) int {
	for i, n := range r.lineNos {
		if n == no {
			return i
		}
	}
	return -1
}

// LineNumbers returns the numbers of the record's current lines, in the
// order of Lines. A line's number is its 1-based place among all lines ever
// added to the record; a removed line's number is never reused.
func (r *Record) LineNumbers() []int { return append([]int(nil), r.lineNos...) }

// RemoveLine removes treatment line no before finalising. Removing a line
// that was removed already changes nothing (a repeated request is
// harmless). Errors: ErrNotFound, ErrFinalized, ErrVoided, ErrNoSuchLine,
// a *domain.ValidationError for a reason over domain.MaxReasonBytes.
func (r *Record) RemoveLine(no int, reason string, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	v.CheckReason(reason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := r.editable(); err != nil {
		return nil, err
	}
	i := r.line(no)
	switch {
	case i < 0 && no >= 1 && no <= r.added:
		return nil, nil
	case i < 0:
		return nil, fmt.Errorf("line %d: %w", no, ErrNoSuchLine)
	}
	old := r.lines[i]
	total, err := r.total.Sub(old.LineTotal)
	if err != nil {
		return nil, err
	}
	return []domain.Event{TreatmentLineRemoved{MedicalRecordID: r.id, ReservationID: r.reservationID,
		LineNo: no, Removed: old, Reason: reason, Total: total, At: at.UTC(), By: by}}, nil
}

// CorrectLine replaces treatment line no with item, priced from fees,
// before finalising; the line keeps its number. The same correction again
// changes nothing. Errors: ErrNotFound, ErrFinalized, ErrVoided,
// ErrNoSuchLine (also for a removed line), ErrOverCeiling, a
// *domain.ValidationError (unknown code, quantity out of range).
func (r *Record) CorrectLine(no int, item Treatment, fees clinic.FeeSchedule, ceiling int64, at time.Time, by string) ([]domain.Event, error) {
	fee, ok := fees.Lookup(item.Code)
	v := domain.Validation()
	v.Check(ok, "code", "not in the fee schedule")
	v.Check(item.Quantity >= 1 && item.Quantity <= MaxQuantity, "quantity", fmt.Sprintf("must be 1 to %d", MaxQuantity))
	if err := v.Err(); err != nil {
		return nil, err
	}
	lt, err := fee.Price.Mul(int64(item.Quantity))
	if err != nil {
		return nil, domain.Invalidf("quantity", err.Error())
	}
	if err := r.editable(); err != nil {
		return nil, err
	}
	i := r.line(no)
	if i < 0 {
		return nil, fmt.Errorf("line %d: %w", no, ErrNoSuchLine)
	}
	line := Line{Code: fee.Code, Description: fee.Description, Quantity: item.Quantity, UnitPrice: fee.Price, LineTotal: lt}
	old := r.lines[i]
	if old == line {
		return nil, nil
	}
	total, err := r.total.Sub(old.LineTotal)
	if err == nil {
		total, err = total.Add(lt)
	}
	if err != nil {
		return nil, domain.Invalidf("code", err.Error())
	}
	if err := checkCeiling(total, ceiling); err != nil {
		return nil, err
	}
	return []domain.Event{TreatmentLineCorrected{MedicalRecordID: r.id, ReservationID: r.reservationID,
		LineNo: no, Old: old, Line: line, Total: total, At: at.UTC(), By: by}}, nil
}

// Reopen reopens the finalised record whose invoice voided was voided, so
// that it can be corrected and finalised again under the next round's
// invoice ID (InvoiceIDOf). Reopening for an invoice voided and reopened
// before changes nothing. Errors: ErrNotFound, ErrVoided, ErrNotBilledBy
// (the record is open, or billed by another invoice).
func (r *Record) Reopen(voided uuid.UUID, reason string, at time.Time, by string) ([]domain.Event, error) {
	if r.reopened[voided] {
		return nil, nil
	}
	if r.status != StatusFinalized {
		if err := r.editable(); err != nil && err != ErrFinalized {
			return nil, err
		}
		return nil, fmt.Errorf("invoice %s: %w", voided, ErrNotBilledBy)
	}
	if r.invoiceID != voided {
		return nil, fmt.Errorf("invoice %s (the record's is %s): %w", voided, r.invoiceID, ErrNotBilledBy)
	}
	return []domain.Event{Reopened{MedicalRecordID: r.id, ReservationID: r.reservationID, VoidedInvoiceID: voided,
		Reason: reason, Status: StatusOpen, At: at.UTC(), By: by}}, nil
}

// CorrectPatient follows a correction of the visit's customer or pet on
// the reservation. Following to the details the record has changes
// nothing. The record's clinical content stays as it is, finalised or not:
// this corrects who the patient and the owner are, not what was found.
// Errors: ErrNotFound.
func (r *Record) CorrectPatient(c reservation.Customer, p reservation.Pet, at time.Time, by string) ([]domain.Event, error) {
	if r.status == "" {
		return nil, ErrNotFound
	}
	if r.customer == c && r.pet == p {
		return nil, nil
	}
	return []domain.Event{PatientDetailsCorrected{MedicalRecordID: r.id, ReservationID: r.reservationID,
		Customer: c, Pet: p, OldCustomer: r.customer, OldPet: r.pet, At: at.UTC(), By: by}}, nil
}

// Customer and Pet return who the record is of.
func (r *Record) Customer() reservation.Customer { return r.customer }

// Pet returns the animal the record is of.
func (r *Record) Pet() reservation.Pet { return r.pet }

// zeroIfUnset is m, or zero money of currency when m has none.
func zeroIfUnset(m money.Money, currency string) money.Money {
	if m.Currency == "" {
		return money.Zero(currency)
	}
	return m
}

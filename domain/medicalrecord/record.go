// Package medicalrecord is the medical record of one visit: opened when the
// reservation is placed, filled with the diagnosis, priced treatments and
// prescriptions, then finalised and locked (later corrections are addenda,
// never edits), or voided when the visit is cancelled or missed.
package medicalrecord

import (
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// Errors returned by the commands.
var (
	ErrNotFound      = domain.NotFound("medicalrecord.not_found", "no such medical record")
	ErrAlreadyOpened = domain.Conflict("medicalrecord.already_opened", "the medical record exists already")
	ErrFinalized     = domain.Conflict("medicalrecord.finalized", "the medical record is finalised; add an addendum instead")
	ErrVoided        = domain.Conflict("medicalrecord.voided", "the medical record is void (the visit was cancelled)")
	ErrNoDiagnosis   = domain.Conflict("medicalrecord.no_diagnosis", "record a diagnosis before finalising")
	ErrNotStarted    = domain.Conflict("medicalrecord.visit_not_started", "the animal has not been checked in")
	ErrNoLines       = domain.Conflict("medicalrecord.no_treatments", "no charged treatment: add one, or finalise as no-charge")
	ErrOverCeiling   = domain.Conflict("medicalrecord.over_ceiling", "the total exceeds the clinic's per-invoice ceiling")
	ErrNoSuchLine    = domain.NotFound("medicalrecord.no_such_line", "the record has no such treatment line")
	ErrNotBilledBy   = domain.Conflict("medicalrecord.not_billed_by", "the record is not billed by that invoice")
)

// DefaultCeiling bounds one invoice's total unless the clinic says
// otherwise, in minor units of the clinic's currency: 10,000,000 KRW, far
// above any single veterinary visit (a surgery with a stay is a few
// million), far below a typo's 750,000,000.
const DefaultCeiling = 10_000_000

// Errors lists the errors of this package's commands, as Types lists its
// events, so that an adapter can map every one of them (the HTTP API's
// problem types are derived from these lists).
func Errors() []*domain.Error {
	return []*domain.Error{ErrNotFound, ErrAlreadyOpened, ErrFinalized, ErrVoided, ErrNoDiagnosis, ErrNotStarted,
		ErrNoLines, ErrOverCeiling, ErrNoSuchLine, ErrNotBilledBy}
}

// Record is one medical record, folded from its events.
type Record struct {
	id      uuid.UUID
	version int

	status        Status // "" before opening
	reservationID uuid.UUID
	doctorID      string
	customer      reservation.Customer
	pet           reservation.Pet
	visitAt       time.Time
	findings      string
	diagnosis     string
	lines         []Line
	lineNos       []int // the number of each line (see LineNumbers)
	added         int   // lines ever added: the last number given
	total         money.Money
	prescriptions []Prescription
	addenda       []string
	invoiceID     uuid.UUID
	finalized     Finalized
	round         int                // billing round: how often the record was reopened
	reopened      map[uuid.UUID]bool // voided invoices the record was reopened after
}

// New returns record id before any event.
func New(id uuid.UUID) *Record { return &Record{id: id} }

// ID returns the record's ID.
func (r *Record) ID() uuid.UUID { return r.id }

// Version is the number of events folded in.
func (r *Record) Version() int { return r.version }

// Status returns the record's status ("" before it is opened).
func (r *Record) Status() Status { return r.status }

// ReservationID returns the reservation the record belongs to.
func (r *Record) ReservationID() uuid.UUID { return r.reservationID }

// DoctorID returns the doctor of the visit.
func (r *Record) DoctorID() string { return r.doctorID }

// InvoiceID returns the invoice of a finalised record (uuid.Nil before).
func (r *Record) InvoiceID() uuid.UUID { return r.invoiceID }

// Finalization returns the event that finalised the record, if it was.
func (r *Record) Finalization() (Finalized, bool) { return r.finalized, r.status == StatusFinalized }

// VisitAt returns the visit's time.
func (r *Record) VisitAt() time.Time { return r.visitAt }

// Lines returns the priced treatments.
func (r *Record) Lines() []Line { return append([]Line(nil), r.lines...) }

// Total returns the sum of the lines.
func (r *Record) Total() money.Money { return r.total }

// Prescriptions returns what was prescribed.
func (r *Record) Prescriptions() []Prescription {
	return append([]Prescription(nil), r.prescriptions...)
}

// Addenda returns the addenda's texts.
func (r *Record) Addenda() []string { return append([]string(nil), r.addenda...) }

// Apply folds recorded events into r. Unknown events are ignored.
func (r *Record) Apply(events ...domain.Event) {
	for _, e := range events {
		r.apply(e)
		r.version++
	}
}

func (r *Record) apply(e domain.Event) {
	switch e := e.(type) {
	case Opened:
		r.status, r.reservationID, r.doctorID = StatusOpen, e.ReservationID, e.DoctorID
		r.customer, r.pet, r.visitAt = e.Customer, e.Pet, e.VisitAt
	case DiagnosisRecorded:
		r.findings, r.diagnosis = e.Findings, e.Diagnosis
	case TreatmentsAdded:
		for range e.Items {
			r.added++
			r.lineNos = append(r.lineNos, r.added)
		}
		r.lines = append(r.lines, e.Items...)
		r.total = e.Total
	case TreatmentLineRemoved:
		if i := r.line(e.LineNo); i >= 0 {
			r.lines = append(r.lines[:i:i], r.lines[i+1:]...)
			r.lineNos = append(r.lineNos[:i:i], r.lineNos[i+1:]...)
		}
		r.total = e.Total
	case TreatmentLineCorrected:
		if i := r.line(e.LineNo); i >= 0 {
			r.lines[i] = e.Line
		}
		r.total = e.Total
	case Reopened:
		r.status, r.invoiceID, r.finalized = StatusOpen, uuid.Nil, Finalized{}
		r.round++
		if r.reopened == nil {
			r.reopened = map[uuid.UUID]bool{}
		}
		r.reopened[e.VoidedInvoiceID] = true
	case PatientDetailsCorrected:
		r.customer, r.pet = e.Customer, e.Pet
	case PrescriptionsAdded:
		r.prescriptions = append(r.prescriptions, e.Items...)
	case Finalized:
		r.status, r.invoiceID, r.finalized = StatusFinalized, e.InvoiceID, e
	case AddendumAdded:
		r.addenda = append(r.addenda, e.Text)
	case Voided:
		r.status = StatusVoided
	case VisitTimeChanged:
		r.doctorID, r.visitAt = e.DoctorID, e.VisitAt
	}
}

// editable returns nil when the record is open, else why it is not.
func (r *Record) editable() error {
	switch r.status {
	case StatusOpen:
		return nil
	case StatusFinalized:
		return ErrFinalized
	case StatusVoided:
		return ErrVoided
	}
	return ErrNotFound
}

package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/medicalrecord"
)

// RecordDiagnosis records the findings and diagnosis of a visit.
type RecordDiagnosis struct {
	Meta
	MedicalRecordID uuid.UUID
	Findings        string
	Diagnosis       string
}

// AddTreatments adds treatments, priced from the clinic's fee schedule.
type AddTreatments struct {
	Meta
	MedicalRecordID uuid.UUID
	Items           []medicalrecord.Treatment
}

// AddPrescriptions adds prescribed drugs.
type AddPrescriptions struct {
	Meta
	MedicalRecordID uuid.UUID
	Items           []medicalrecord.Prescription
}

// AddAddendum adds a note (after finalising, the only correction).
type AddAddendum struct {
	Meta
	MedicalRecordID uuid.UUID
	Text            string
}

func recordStep(name string, id uuid.UUID, ifMatch *uint64, fresh bool, decide func(*medicalrecord.Record) ([]domain.Event, error)) step[*medicalrecord.Record] {
	return step[*medicalrecord.Record]{
		name: name, stream: medicalrecord.Stream(id), ifMatch: ifMatch, fresh: fresh,
		new:    func() *medicalrecord.Record { return medicalrecord.New(id) },
		decode: medicalrecord.Decode, decide: decide,
	}
}

// editRecord is the path of the commands that only touch the record.
func (h *Handler) editRecord(ctx context.Context, kind string, m Meta, input any, id uuid.UUID,
	decide func(c *command, r *medicalrecord.Record) ([]domain.Event, error)) (Result, error) {
	c := h.begin(kind+"/"+id.String(), m, input)
	o, err := update(ctx, h, c, recordStep(kind, id, m.IfMatch, false, func(r *medicalrecord.Record) ([]domain.Event, error) {
		return decide(c, r)
	}))
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return o.result(c), nil
}

// RecordDiagnosis records findings and a diagnosis, once the animal was
// checked in. Errors: medicalrecord.ErrNotFound, ErrFinalized, ErrVoided,
// ErrNotStarted, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) RecordDiagnosis(ctx context.Context, cmd RecordDiagnosis) (Result, error) {
	started, err := h.visitStarted(ctx, cmd.MedicalRecordID)
	if err != nil {
		return Result{}, fmt.Errorf("diagnosis %s: %w", cmd.MedicalRecordID, err)
	}
	return h.editRecord(ctx, "diagnosis", cmd.Meta, cmd, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.RecordDiagnosis(started, cmd.Findings, cmd.Diagnosis, h.now(), c.by)
	})
}

// visitStarted reports whether the reservation of open record id was
// checked in (false for a record that is not open: its own state decides
// then). A check-in is never undone, so a true answer stays true for the
// decision under the record's lock.
func (h *Handler) visitStarted(ctx context.Context, id uuid.UUID) (bool, error) {
	rec, err := h.readRecord(ctx, id)
	if err != nil || rec.agg.Status() != medicalrecord.StatusOpen {
		return false, err
	}
	r, err := h.readReservation(ctx, rec.agg.ReservationID())
	if err != nil {
		return false, err
	}
	return r.agg.Started(), nil
}

// AddTreatments adds treatments priced from the fee schedule, up to
// Options.InvoiceCeiling in total. Errors: medicalrecord.ErrNotFound,
// ErrFinalized, ErrVoided, ErrOverCeiling, a *domain.ValidationError (an
// unknown fee code), ErrStale, ErrUnavailable.
func (h *Handler) AddTreatments(ctx context.Context, cmd AddTreatments) (Result, error) {
	return h.editRecord(ctx, "treatments", cmd.Meta, cmd, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.AddTreatments(cmd.Items, h.clinic.Fees, h.rules.InvoiceCeiling, h.now(), c.by)
	})
}

// AddPrescriptions adds prescriptions. Errors: medicalrecord.ErrNotFound,
// ErrFinalized, ErrVoided, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) AddPrescriptions(ctx context.Context, cmd AddPrescriptions) (Result, error) {
	return h.editRecord(ctx, "prescriptions", cmd.Meta, cmd, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.AddPrescriptions(cmd.Items, h.now(), c.by)
	})
}

// AddAddendum adds an addendum. Errors: medicalrecord.ErrNotFound,
// ErrVoided, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) AddAddendum(ctx context.Context, cmd AddAddendum) (Result, error) {
	return h.editRecord(ctx, "addendum", cmd.Meta, cmd, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.AddAddendum(cmd.Text, h.now(), c.by)
	})
}

// RemoveLine takes a treatment line off an open record.
type RemoveLine struct {
	Meta
	MedicalRecordID uuid.UUID
	Line            int // the line's number (medicalrecord.Record.LineNumbers)
	Reason          string
}

// CorrectLine replaces a treatment line of an open record.
type CorrectLine struct {
	Meta
	MedicalRecordID uuid.UUID
	Line            int
	Item            medicalrecord.Treatment
}

// RemoveLine removes a line before finalising; removing it again changes
// nothing. Errors: medicalrecord.ErrNotFound, ErrFinalized, ErrVoided,
// ErrNoSuchLine, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) RemoveLine(ctx context.Context, cmd RemoveLine) (Result, error) {
	return h.editRecord(ctx, "remove-line", cmd.Meta, cmd, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.RemoveLine(cmd.Line, cmd.Reason, h.now(), c.by)
	})
}

// CorrectLine replaces a line before finalising, priced from the fee
// schedule, up to Options.InvoiceCeiling. Errors: as RemoveLine, and
// ErrOverCeiling.
func (h *Handler) CorrectLine(ctx context.Context, cmd CorrectLine) (Result, error) {
	return h.editRecord(ctx, "correct-line", cmd.Meta, cmd, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.CorrectLine(cmd.Line, cmd.Item, h.clinic.Fees, h.rules.InvoiceCeiling, h.now(), c.by)
	})
}

package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
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

// Finalize locks a medical record and bills it.
type Finalize struct {
	Meta
	MedicalRecordID uuid.UUID
}

// FinalizeResult names the invoice that bills the record.
type FinalizeResult struct {
	InvoiceID uuid.UUID
	Total     money.Money
	Result    // Revision of the medical record stream; Position of the last write
}

func recordStep(name string, id uuid.UUID, ifMatch *uint64, fresh bool, decide func(*medicalrecord.Record) ([]domain.Event, error)) step[*medicalrecord.Record] {
	return step[*medicalrecord.Record]{
		name: name, stream: medicalrecord.Stream(id), ifMatch: ifMatch, fresh: fresh,
		new:    func() *medicalrecord.Record { return medicalrecord.New(id) },
		decode: medicalrecord.Decode, decide: decide,
	}
}

// editRecord is the path of the commands that only touch the record.
func (h *Handler) editRecord(ctx context.Context, kind string, m Meta, id uuid.UUID,
	decide func(c *command, r *medicalrecord.Record) ([]domain.Event, error)) (Result, error) {
	c := h.begin(kind+"/"+id.String(), m)
	o, err := update(ctx, h, c, recordStep(kind, id, m.IfMatch, false, func(r *medicalrecord.Record) ([]domain.Event, error) {
		return decide(c, r)
	}))
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return o.result(c), nil
}

// RecordDiagnosis records findings and a diagnosis. Errors:
// medicalrecord.ErrNotFound, ErrFinalized, ErrVoided, a
// *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) RecordDiagnosis(ctx context.Context, cmd RecordDiagnosis) (Result, error) {
	return h.editRecord(ctx, "diagnosis", cmd.Meta, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.RecordDiagnosis(cmd.Findings, cmd.Diagnosis, h.now(), c.by)
	})
}

// AddTreatments adds treatments priced from the fee schedule. Errors: as
// RecordDiagnosis; an unknown fee code is a *domain.ValidationError.
func (h *Handler) AddTreatments(ctx context.Context, cmd AddTreatments) (Result, error) {
	return h.editRecord(ctx, "treatments", cmd.Meta, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.AddTreatments(cmd.Items, h.clinic.Fees, h.now(), c.by)
	})
}

// AddPrescriptions adds prescriptions. Errors: as RecordDiagnosis.
func (h *Handler) AddPrescriptions(ctx context.Context, cmd AddPrescriptions) (Result, error) {
	return h.editRecord(ctx, "prescriptions", cmd.Meta, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.AddPrescriptions(cmd.Items, h.now(), c.by)
	})
}

// AddAddendum adds an addendum. Errors: medicalrecord.ErrNotFound,
// ErrVoided, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) AddAddendum(ctx context.Context, cmd AddAddendum) (Result, error) {
	return h.editRecord(ctx, "addendum", cmd.Meta, cmd.MedicalRecordID, func(c *command, r *medicalrecord.Record) ([]domain.Event, error) {
		return r.AddAddendum(cmd.Text, h.now(), c.by)
	})
}

// Finalize locks the record of a visit that began (checked in) and issues
// its invoice, whose ID is derived from the record's: a retry after a crash
// between the two appends issues the same invoice once. Finalizing a
// finalised record reports medicalrecord.ErrFinalized, after issuing the
// invoice if it was missing. Errors: medicalrecord.ErrNotFound,
// ErrFinalized, ErrVoided, ErrNotStarted, ErrNoDiagnosis, ErrStale,
// ErrUnavailable.
func (h *Handler) Finalize(ctx context.Context, cmd Finalize) (FinalizeResult, error) {
	c := h.begin("finalize/"+cmd.MedicalRecordID.String(), cmd.Meta)
	// The record names its reservation, whose check-in the decision needs.
	// Reading it through update leaves the record's history in the cache for
	// the finalising step.
	rec, err := update(ctx, h, c, recordStep("inspect", cmd.MedicalRecordID, nil, false,
		func(*medicalrecord.Record) ([]domain.Event, error) { return nil, nil }))
	if err != nil {
		return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
	}
	started := false
	if rec.agg.Status() == medicalrecord.StatusOpen {
		r, err := h.loadReservation(ctx, rec.agg.ReservationID())
		if err != nil {
			return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
		}
		started = r.Started()
	}
	o, err := update(ctx, h, c, recordStep("finalize", cmd.MedicalRecordID, cmd.IfMatch, false, func(r *medicalrecord.Record) ([]domain.Event, error) {
		return r.Finalize(started, h.clinic.Currency, h.now(), c.by)
	}))
	if err != nil && !errors.Is(err, medicalrecord.ErrFinalized) {
		return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
	}
	f, _ := o.agg.Finalization()
	if ierr := h.issue(ctx, c, f); ierr != nil {
		return FinalizeResult{}, fmt.Errorf("finalize %s: issue invoice: %w", cmd.MedicalRecordID, ierr)
	}
	if err != nil {
		return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
	}
	return FinalizeResult{InvoiceID: f.InvoiceID, Total: f.Total, Result: o.result(c)}, nil
}

// issue issues the invoice of finalised record f (idempotent).
func (h *Handler) issue(ctx context.Context, c *command, f medicalrecord.Finalized) error {
	_, err := update(ctx, h, c, invoiceStep("issue", f.InvoiceID, nil, true, func(i *invoice.Invoice) ([]domain.Event, error) {
		if i.Issued() {
			return nil, nil
		}
		return i.Issue(f, h.now(), c.by)
	}))
	return err
}

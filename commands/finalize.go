package commands

// Rule: a finalised record is billed, exactly once; a visit that never
// began is never billed.
//
// Appends, in order:
//  1. MedicalRecordFinalized, once the reservation is checked in; it names
//     the invoice, whose ID is derived from the record's;
//  2. InvoiceIssued in invoice-<derived id>, appended with NoStream, so an
//     invoice stream that exists already is that same invoice and there is
//     never a second one.
//
// A crash after
//   - 1: the record is locked but not billed. A repeated Finalize (with or
//     without key) issues the invoice before answering (ErrFinalized
//     without key, the first result with it); without one, the sweep
//     issues it (repairInvoice), found from the visit's booking: a
//     checked-in visit keeps its place.
//   - 2: done.

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

// Finalize locks a medical record and bills it.
type Finalize struct {
	Meta
	MedicalRecordID uuid.UUID
	// NoCharge finalises a record without charged lines (a free visit);
	// without it such a record is refused (medicalrecord.ErrNoLines).
	NoCharge bool
}

// FinalizeResult names the invoice that bills the record.
type FinalizeResult struct {
	InvoiceID uuid.UUID
	Total     money.Money
	Result    // Revision of the medical record stream; Position of the last write
}

// Finalize locks the record of a visit that began (checked in) and issues
// its invoice, whose ID is derived from the record's: a retry after a crash
// between the two appends issues the same invoice once. Finalizing a
// finalised record reports medicalrecord.ErrFinalized, after issuing the
// invoice if it was missing. Errors: medicalrecord.ErrNotFound,
// ErrFinalized, ErrVoided, ErrNotStarted, ErrNoDiagnosis, ErrNoLines,
// ErrOverCeiling, a *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) Finalize(ctx context.Context, cmd Finalize) (FinalizeResult, error) {
	c := h.begin("finalize/"+cmd.MedicalRecordID.String(), cmd.Meta, cmd)
	// The record names its reservation, whose check-in the decision needs.
	rec, err := h.readRecord(ctx, cmd.MedicalRecordID)
	if err != nil {
		return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
	}
	started := false
	if rec.agg.Status() == medicalrecord.StatusOpen {
		r, err := h.readReservation(ctx, rec.agg.ReservationID())
		if err != nil {
			return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
		}
		started = r.agg.Started()
	}
	o, err := update(ctx, h, c, recordStep("finalize", cmd.MedicalRecordID, cmd.IfMatch, false, func(r *medicalrecord.Record) ([]domain.Event, error) {
		return r.Finalize(medicalrecord.Finalizing{VisitStarted: started, NoCharge: cmd.NoCharge,
			Currency: h.clinic.Currency, Ceiling: h.rules.InvoiceCeiling}, h.now(), c.by)
	}))
	if err != nil && !errors.Is(err, medicalrecord.ErrFinalized) {
		return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
	}
	f, _ := o.agg.Finalization()
	if _, ierr := h.issue(ctx, c, f); ierr != nil {
		return FinalizeResult{}, fmt.Errorf("finalize %s: issue invoice: %w", cmd.MedicalRecordID, ierr)
	}
	if err != nil {
		return FinalizeResult{}, fmt.Errorf("finalize %s: %w", cmd.MedicalRecordID, err)
	}
	return FinalizeResult{InvoiceID: f.InvoiceID, Total: f.Total, Result: o.result(c)}, nil
}

// issue issues the invoice of finalised record f (idempotent); it reports
// whether it wrote.
func (h *Handler) issue(ctx context.Context, c *command, f medicalrecord.Finalized) (bool, error) {
	o, err := update(ctx, h, c, invoiceStep("issue", f.InvoiceID, nil, true, func(i *invoice.Invoice) ([]domain.Event, error) {
		if i.Issued() {
			return nil, nil
		}
		return i.Issue(f, h.now(), c.by)
	}))
	return len(o.appended) > 0, err
}

// repairInvoice issues the invoice of a finalised record the sweep finds
// unbilled at its visit's own booking b.
func (h *Handler) repairInvoice(ctx context.Context, s *sweep, b *booking) error {
	if !b.own() || !b.reservation.agg.Started() {
		return nil // only a checked-in visit can have been finalised
	}
	rec, err := h.bookedRecord(ctx, b)
	if err != nil {
		return err
	}
	f, finalised := rec.Finalization()
	if !finalised || !s.settled(f.At) {
		return nil
	}
	inv, err := h.readInvoice(ctx, f.InvoiceID)
	if err != nil || inv.agg.Issued() {
		return err
	}
	issued, err := h.issue(ctx, s.c, f)
	if issued {
		s.sum.InvoicesIssued++
		h.log.Info("sweep issued the invoice of a finalised record", "record", f.MedicalRecordID, "invoice", f.InvoiceID)
	}
	return err
}

package commands

// Rule: a voided invoice's visit is billed again, never twice, and a visit
// that never began is still never billed.
//
// Appends, in order:
//  1. InvoiceVoided in invoice-<id>, only while nothing is paid on it (what
//     was paid is refunded first), so no money sits on a void bill;
//  2. MedicalRecordReopened in the record the invoice bills: the record is
//     open again (lines can be corrected) and its next finalisation names
//     the next round's invoice ID (medicalrecord.InvoiceIDOf), a new stream
//     appended with NoStream as every invoice is. A record is billed by at
//     most one invoice that is not void: it names one at a time, and names
//     the next only after the one before is void. Finalising again still
//     needs the visit checked in.
//
// A crash after
//   - 1: the record is finalised and names a void invoice: nothing is owed
//     and the record is locked. A repeated VoidInvoice (with or without key)
//     reopens it before answering; without one, the sweep does
//     (repairReopen), found from the visit's booking: a checked-in visit
//     keeps its place.
//   - 2: done; staff correct the record and finalise it again.

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
)

// VoidInvoice cancels an unpaid invoice and reopens its record.
type VoidInvoice struct {
	Meta
	InvoiceID uuid.UUID
	Reason    string
}

// VoidResult is the void invoice and the record to finalise again.
type VoidResult struct {
	Bill            invoice.Bill
	MedicalRecordID uuid.UUID
	Result          // Revision of the invoice stream
}

// VoidInvoice voids an invoice nothing is paid on and reopens the medical
// record it bills, which is then finalised again under a new invoice.
// Voiding a void invoice changes nothing but completes the reopening if a
// crash cut it. Errors: invoice.ErrNotFound, ErrHasPayments, a
// *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) VoidInvoice(ctx context.Context, cmd VoidInvoice) (VoidResult, error) {
	c := h.begin("void-invoice/"+cmd.InvoiceID.String(), cmd.Meta, cmd)
	o, err := update(ctx, h, c, invoiceStep("void", cmd.InvoiceID, cmd.IfMatch, false, func(i *invoice.Invoice) ([]domain.Event, error) {
		return i.Void(cmd.Reason, h.now(), c.by)
	}))
	if err != nil {
		return VoidResult{}, fmt.Errorf("void invoice %s: %w", cmd.InvoiceID, err)
	}
	b := o.agg.Bill()
	if err := h.reopen(ctx, c, b, cmd.Reason); err != nil {
		return VoidResult{}, fmt.Errorf("void invoice %s: reopen record: %w", cmd.InvoiceID, err)
	}
	return VoidResult{Bill: b, MedicalRecordID: b.MedicalRecordID, Result: o.result(c)}, nil
}

// reopen reopens the record billed by void bill b (idempotent); it reports
// whether it wrote.
func (h *Handler) reopen(ctx context.Context, c *command, b invoice.Bill, reason string) error {
	_, err := update(ctx, h, c, recordStep("reopen", b.MedicalRecordID, nil, false, func(r *medicalrecord.Record) ([]domain.Event, error) {
		return r.Reopen(b.InvoiceID, reason, h.now(), c.by)
	}))
	return err
}

// repairReopen reopens a finalised record the sweep finds at its visit's
// own booking b billed by an invoice that was voided.
func (h *Handler) repairReopen(ctx context.Context, s *sweep, b *booking) error {
	if !b.own() || !b.reservation.agg.Started() {
		return nil
	}
	rec, err := h.bookedRecord(ctx, b)
	if err != nil {
		return err
	}
	if _, finalised := rec.Finalization(); !finalised {
		return nil
	}
	inv, err := h.readInvoice(ctx, rec.InvoiceID())
	if err != nil {
		return err
	}
	bill := inv.agg.Bill()
	if bill.Status != invoice.StatusVoided || !s.settled(bill.At) {
		return nil
	}
	if err := h.reopen(ctx, s.c, bill, "invoice voided"); err != nil {
		return err
	}
	b.record = nil
	s.sum.RecordsReopened++
	h.log.Info("sweep reopened the record of a voided invoice", "record", bill.MedicalRecordID, "invoice", bill.InvoiceID)
	return nil
}

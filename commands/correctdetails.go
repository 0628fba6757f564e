package commands

// Rule: a visit's customer and pet are the same on its reservation, its
// medical record and its bill, so a corrected phone number reaches every
// reader (the lookup and the ledger follow the reservation and the bill:
// the old phone loses access, the new one gains it).
//
// Appends, in order:
//  1. ReservationDetailsCorrected (the reservation holds the truth);
//  2. PatientDetailsCorrected in the visit's record, when it was opened;
//  3. InvoiceCustomerChanged in the invoice the record names, when the
//     record is finalised and its invoice issued (a void one too: its
//     ledger account moves with the customer).
//
// A crash after
//   - 1: the record and the bill name the old details. Repeating the
//     command (with or without key) runs 2 and 3 before answering; without
//     a repeat the sweep does (repairDetails), found from the visit's own
//     booking, which it keeps while the visit is booked or checked in. An
//     ended visit has released its place: its record and bill are
//     corrected by a repeat only (a cancelled visit is never billed, so
//     only its record's details are left behind).
//   - 2: the bill names the old customer: the repeat or the sweep changes it.
//   - 3: done.

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
)

// CorrectDetails corrects a visit's customer (name, contact phone) and pet.
type CorrectDetails struct {
	Meta
	ReservationID uuid.UUID
	Customer      reservation.Customer
	Pet           reservation.Pet
	Reason        string
}

// CorrectDetails corrects the reservation's customer and pet, then makes
// its record and bill follow. The same details again change nothing but
// complete what a crash cut. Errors: reservation.ErrNotFound, a
// *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) CorrectDetails(ctx context.Context, cmd CorrectDetails) (Result, error) {
	c := h.begin("correct-details/"+cmd.ReservationID.String(), cmd.Meta, cmd)
	o, err := update(ctx, h, c, reservationStep("correct", cmd.ReservationID, cmd.IfMatch, func(r *reservation.Reservation) ([]domain.Event, error) {
		return r.CorrectDetails(cmd.Customer, cmd.Pet, cmd.Reason, h.now(), c.by)
	}))
	if err != nil {
		return Result{}, fmt.Errorf("correct %s: %w", cmd.ReservationID, err)
	}
	if _, err := h.followDetails(ctx, c, o.agg.Visit()); err != nil {
		return Result{}, fmt.Errorf("correct %s: %w", cmd.ReservationID, err)
	}
	return o.result(c), nil
}

// followDetails makes the record and the bill of visit v name its customer
// and pet (idempotent); it reports how many streams it wrote.
func (h *Handler) followDetails(ctx context.Context, c *command, v reservation.Visit) (int, error) {
	o, err := update(ctx, h, c, recordStep("follow-details", v.MedicalRecordID, nil, false, func(r *medicalrecord.Record) ([]domain.Event, error) {
		return r.CorrectPatient(v.Customer, v.Pet, h.now(), c.by)
	}))
	if errors.Is(err, medicalrecord.ErrNotFound) {
		return 0, nil // never opened: the placement's repair opens it with these details
	}
	if err != nil {
		return 0, fmt.Errorf("record: %w", err)
	}
	wrote := len(o.appended)
	if o.agg.Status() != medicalrecord.StatusFinalized {
		return wrote, nil
	}
	i, err := update(ctx, h, c, invoiceStep("follow-details", o.agg.InvoiceID(), nil, false, func(i *invoice.Invoice) ([]domain.Event, error) {
		return i.ChangeCustomer(v.Customer, v.Pet, h.now(), c.by)
	}))
	if errors.Is(err, invoice.ErrNotFound) {
		return wrote, nil // not issued yet: it is issued from the record, which has the details
	}
	if err != nil {
		return wrote, fmt.Errorf("invoice: %w", err)
	}
	return wrote + len(i.appended), nil
}

// repairDetails makes the record and bill of the visit the sweep finds at
// its own booking b follow the reservation's details.
func (h *Handler) repairDetails(ctx context.Context, s *sweep, b *booking) error {
	r := b.reservation.agg
	v := r.Visit()
	if !b.own() || !s.settled(v.At) {
		return nil
	}
	rec, err := h.bookedRecord(ctx, b)
	if err != nil || rec.Status() == "" {
		return err
	}
	stale := rec.Customer() != v.Customer || rec.Pet() != v.Pet
	if !stale && rec.Status() == medicalrecord.StatusFinalized {
		inv, err := h.readInvoice(ctx, rec.InvoiceID())
		if err != nil {
			return err
		}
		stale = inv.agg.Issued() && inv.agg.Bill().Customer != v.Customer
	}
	if !stale {
		return nil
	}
	n, err := h.followDetails(ctx, s.c, v)
	if n > 0 {
		b.record = nil
		s.sum.DetailsFollowed += n
		h.log.Info("sweep made a record and bill follow their visit's details", "reservation", r.ID())
	}
	return err
}

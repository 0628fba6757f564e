package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// The repairs below complete what a crash between two appends left undone
// when the command is never retried. All are idempotent.

// ReleaseOrphans repairs a doctor's day after crashes: it releases every
// place held by a reservation that does not hold it (the reservation was
// never placed, was moved elsewhere, cancelled or missed), once the booking
// is older than grace (so a placement in flight is left alone). It returns
// how many places it released.
func (h *Handler) ReleaseOrphans(ctx context.Context, doctorID, date string, grace time.Duration) (int, error) {
	c := h.begin("release-orphans", Meta{By: "system"})
	o, err := update(ctx, h, c, h.scheduleStep("inspect", doctorID, date, nil,
		func(*schedule.Schedule) ([]domain.Event, error) { return nil, nil }))
	if err != nil {
		return 0, err
	}
	released := 0
	for slot, ids := range o.agg.Bookings() {
		for _, id := range ids {
			if h.now().Sub(o.agg.BookedAt(slot, id)) < grace {
				continue
			}
			r, err := h.loadReservation(ctx, id)
			if err != nil {
				return released, err
			}
			v := r.Visit()
			if r.Placed() && v.Status != reservation.StatusCancelled && v.Status != reservation.StatusNoShow &&
				v.DoctorID == doctorID && v.Slot.Equal(slot) {
				continue
			}
			if err := h.release(ctx, c, "release-"+id.String(), doctorID, slot, id, schedule.ReasonOrphaned); err != nil {
				return released, err
			}
			h.log.Info("released orphaned booking", "doctor", doctorID, "slot", slot, "reservation", id)
			released++
		}
	}
	return released, nil
}

// SweepOrphans runs ReleaseOrphans on every doctor's days from the day of
// from (clinic time) for days days; serve runs it now and then so that a
// booking whose placement crashed and was never retried is freed. It
// returns how many places it released; it stops at the first error.
func (h *Handler) SweepOrphans(ctx context.Context, from time.Time, days int, grace time.Duration) (int, error) {
	start := from.In(h.clinic.Location)
	released := 0
	for _, d := range h.clinic.Doctors {
		for i := range days {
			date := time.Date(start.Year(), start.Month(), start.Day()+i, 0, 0, 0, 0, h.clinic.Location).Format(time.DateOnly)
			n, err := h.ReleaseOrphans(ctx, d.ID, date, grace)
			released += n
			if err != nil {
				return released, fmt.Errorf("sweep %s on %s: %w", d.ID, date, err)
			}
		}
	}
	return released, nil
}

// RepairReservation completes what a crash left undone around reservation
// id when the command is not retried: it opens the medical record if it is
// missing, makes an open record follow the visit's time, and voids the
// record and releases the slot of a cancelled or missed visit. Every step
// is idempotent; on a consistent reservation it writes nothing. Errors:
// reservation.ErrNotFound, ErrUnavailable.
func (h *Handler) RepairReservation(ctx context.Context, id uuid.UUID) (Result, error) {
	c := h.begin("repair/"+id.String(), Meta{By: "system"})
	o, err := update(ctx, h, c, reservationStep("repair", id, nil, func(r *reservation.Reservation) ([]domain.Event, error) {
		if !r.Placed() {
			return nil, reservation.ErrNotFound
		}
		return nil, nil
	}))
	if err != nil {
		return Result{}, fmt.Errorf("repair %s: %w", id, err)
	}
	v := o.agg.Visit()
	if err := h.openRecord(ctx, c, o.agg); err != nil {
		return Result{}, fmt.Errorf("repair %s: %w", id, err)
	}
	switch v.Status {
	case reservation.StatusCancelled, reservation.StatusNoShow:
		void, release := medicalrecord.VoidCancelled, schedule.ReasonCancelled
		if v.Status == reservation.StatusNoShow {
			void, release = medicalrecord.VoidNoShow, schedule.ReasonNoShow
		}
		if err := h.voidRecord(ctx, c, v.MedicalRecordID, void); err != nil {
			return Result{}, fmt.Errorf("repair %s: %w", id, err)
		}
		if err := h.release(ctx, c, "release", v.DoctorID, v.Slot, id, release); err != nil {
			return Result{}, fmt.Errorf("repair %s: %w", id, err)
		}
	default:
		if err := h.moveRecord(ctx, c, v); err != nil {
			return Result{}, fmt.Errorf("repair %s: %w", id, err)
		}
	}
	return o.result(c), nil
}

package commands

// Rule: a visit that ends before it happens (cancelled, or a no-show) is
// never billed and frees its place.
//
// Appends, in order:
//  1. ReservationCancelled or ReservationNoShow;
//  2. MedicalRecordVoided (reason "cancelled" or "no_show"), so the record
//     can no longer take treatments nor be finalised; a record the
//     placement never opened is opened and voided in this one append;
//  3. SlotReleased (reason "cancelled" or "no_show").
//
// The place is released last, so that while anything is left to do the
// day's bookings still lead the sweep to the visit. A crash after
//   - 1: the record is open (or, if the placement was cut before opening
//     it, missing) and the place held. Repeating the command (with
//     or without key) runs 2 and 3 before answering (ErrCancelled or
//     ErrNoShow without key, the first result with it); without a repeat,
//     the sweep voids the record and releases the place (repairEnd).
//   - 2: the place is held: the repeat or the sweep releases it.
//   - 3: done.

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// Cancel cancels a booked visit.
type Cancel struct {
	Meta
	ReservationID uuid.UUID
	Reason        string
}

// NoShow marks a booked visit as missed.
type NoShow struct {
	Meta
	ReservationID uuid.UUID
}

// ended is why an ended visit's record is voided and its place released.
type ended struct{ void, release string }

// endReasons returns the reasons for a visit that ended with status, and
// whether status ends a visit before it happens.
func endReasons(status reservation.Status) (ended, bool) {
	switch status {
	case reservation.StatusCancelled:
		return ended{medicalrecord.VoidCancelled, schedule.ReasonCancelled}, true
	case reservation.StatusNoShow:
		return ended{medicalrecord.VoidNoShow, schedule.ReasonNoShow}, true
	}
	return ended{}, false
}

// Cancel cancels the reservation, voids its medical record and releases
// its slot. Cancelling a cancelled reservation reports ErrCancelled, but
// first completes the voiding and release if a crash interrupted them.
// Errors: reservation.ErrNotFound, ErrCancelled, ErrCompleted,
// ErrCheckedIn, ErrNoShow, ErrStale, ErrUnavailable.
func (h *Handler) Cancel(ctx context.Context, cmd Cancel) (Result, error) {
	c := h.begin("cancel/"+cmd.ReservationID.String(), cmd.Meta, cmd)
	return h.end(ctx, c, "cancel", cmd.ReservationID, cmd.IfMatch, reservation.ErrCancelled,
		func(r *reservation.Reservation) ([]domain.Event, error) { return r.Cancel(cmd.Reason, h.now(), c.by) })
}

// NoShow marks the visit as missed, voids its medical record (a visit that
// did not happen is not billed) and releases the slot. Errors: as Cancel,
// with reservation.ErrNoShow for a repeat.
func (h *Handler) NoShow(ctx context.Context, cmd NoShow) (Result, error) {
	c := h.begin("no-show/"+cmd.ReservationID.String(), cmd.Meta, cmd)
	return h.end(ctx, c, "no-show", cmd.ReservationID, cmd.IfMatch, reservation.ErrNoShow,
		func(r *reservation.Reservation) ([]domain.Event, error) { return r.MarkNoShow(h.now(), c.by) })
}

// end runs a transition that ends a visit before it happens, then voids the
// record and releases the slot. repeatErr is the domain's error for the
// transition done before; the follow-ups run then as well (idempotently).
func (h *Handler) end(ctx context.Context, c *command, name string, id uuid.UUID, ifMatch *uint64, repeatErr error,
	decide func(*reservation.Reservation) ([]domain.Event, error)) (Result, error) {
	o, err := update(ctx, h, c, reservationStep(name, id, ifMatch, decide))
	if err != nil && !errors.Is(err, repeatErr) {
		return Result{}, fmt.Errorf("%s %s: %w", name, id, err)
	}
	v := o.agg.Visit()
	why, _ := endReasons(v.Status)
	if _, ferr := h.voidRecord(ctx, c, o.agg, why.void); ferr != nil {
		return Result{}, fmt.Errorf("%s %s: void medical record: %w", name, id, ferr)
	}
	if _, ferr := h.release(ctx, c, "release", v.DoctorID, v.Slot, id, why.release); ferr != nil {
		return Result{}, fmt.Errorf("%s %s: release slot: %w", name, id, ferr)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w", name, id, err)
	}
	return o.result(c), nil
}

// voidRecord voids the medical record of ended reservation r (idempotent);
// it reports whether it wrote. A record the placement never opened is
// opened and voided in one append: the ended visit still gets its void
// record, and releasing the place afterwards does not hide the missing
// record from the sweep.
func (h *Handler) voidRecord(ctx context.Context, c *command, r *reservation.Reservation, reason string) (bool, error) {
	v := r.Visit()
	o, err := update(ctx, h, c, recordStep("void", v.MedicalRecordID, nil, false, func(m *medicalrecord.Record) ([]domain.Event, error) {
		if m.Status() != "" {
			return m.Void(reason, h.now(), c.by)
		}
		opened, err := m.Open(v, r.Reason(), h.now(), c.by)
		if err != nil {
			return nil, err
		}
		next := medicalrecord.New(v.MedicalRecordID) // m is update's; fold into a copy
		next.Apply(opened...)
		voided, err := next.Void(reason, h.now(), c.by)
		return append(opened, voided...), err
	}))
	return len(o.appended) > 0, err
}

// repairEnd completes an ended visit the sweep finds at its own booking b:
// it voids the record if it is not void yet (opening it first if it was
// never opened) and releases the place.
func (h *Handler) repairEnd(ctx context.Context, s *sweep, b *booking) error {
	r := b.reservation.agg
	v := r.Visit()
	why, isEnded := endReasons(v.Status)
	if !b.own() || !isEnded || !s.settled(v.At) {
		return nil
	}
	rec, err := h.bookedRecord(ctx, b)
	if err != nil {
		return err
	}
	if st := rec.Status(); st == "" || st == medicalrecord.StatusOpen {
		voided, err := h.voidRecord(ctx, s.c, r, why.void)
		if err != nil {
			return err
		}
		if voided {
			b.record = nil
			s.sum.RecordsVoided++
			h.log.Info("sweep voided the medical record of an ended visit", "reservation", r.ID(), "status", v.Status)
		}
	}
	released, err := h.release(ctx, s.c, "release", v.DoctorID, v.Slot, r.ID(), why.release)
	if released {
		s.sum.EndedSlotsReleased++
		h.log.Info("sweep released the place of an ended visit", "doctor", v.DoctorID, "slot", v.Slot, "reservation", r.ID())
	}
	return err
}

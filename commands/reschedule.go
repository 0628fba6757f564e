package commands

// Rule: a rescheduled visit holds exactly its new place, and its medical
// record follows it.
//
// Appends, in order:
//  1. SlotBooked of the new slot (the new doctor's day);
//  2. ReservationRescheduled (it names the old doctor and slot);
//  3. SlotReleased of the old slot (reason "rescheduled");
//  4. VisitTimeChanged.
//
// A crash after
//   - 1: the new booking is held by a reservation that sits elsewhere. A
//     retry with the same key books again (a no-op) and moves; without one,
//     the sweep releases the new booking (reason "orphaned") once it is
//     older than the grace period, and the visit stays where it was.
//   - 2: the old place is still held and the record shows the old time. A
//     retry finds ReservationRescheduled by its ID and runs 3 and 4 from
//     it; without one, the sweep releases the old place (it finds the
//     reschedule that left it in the reservation's history) and, at the
//     new place, moves the record.
//   - 3: the record shows the old time: the retry or the sweep moves it.
//   - 4: done.
//
// If the reservation cannot move after all (cancelled meanwhile), the new
// booking is released at once (compensate). A record that is no longer open
// keeps its visit time.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// Reschedule moves a booked visit to another slot (and doctor).
type Reschedule struct {
	Meta
	ReservationID uuid.UUID
	DoctorID      string // "" keeps the doctor
	Slot          time.Time
}

// Reschedule books the new slot, moves the reservation, then releases the
// old slot and moves the medical record's visit time. If the reservation
// cannot move after all (cancelled meanwhile), the new booking is released.
// Errors: reservation.ErrNotFound, ErrCancelled, ErrCompleted, ErrCheckedIn,
// ErrNoShow, the schedule's booking errors, clinic.ErrUnknownDoctor, a
// *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) Reschedule(ctx context.Context, cmd Reschedule) (Result, error) {
	c := h.begin("reschedule/"+cmd.ReservationID.String(), cmd.Meta, cmd)
	slot, stream := cmd.Slot.UTC(), reservation.Stream(cmd.ReservationID)
	cur, err := h.readReservation(ctx, cmd.ReservationID)
	if err != nil {
		return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
	}
	r := cur.agg
	moves, revision, pos, err := cur.hist.findDone(c, "reschedule", stream)
	if err != nil {
		return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
	}
	if len(moves) > 0 {
		c.saw(pos) // a retry: complete the first run from its events
	} else {
		doctorID := cmd.DoctorID
		if doctorID == "" {
			doctorID = r.Visit().DoctorID
		}
		decide := func(r *reservation.Reservation) ([]domain.Event, error) {
			return r.Reschedule(doctorID, slot, h.now(), c.by)
		}
		if err := checkIfMatch(stream, cur.revision(), cmd.IfMatch); err != nil {
			return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
		}
		if _, err := decide(r); err != nil {
			return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
		}
		if _, ok := h.clinic.Doctor(doctorID); !ok {
			return Result{}, fmt.Errorf("doctor %q: %w", doctorID, clinic.ErrUnknownDoctor)
		}
		if v := r.Visit(); v.DoctorID == doctorID && v.Slot.Equal(slot) {
			res := cur.result(c)
			_, err := h.moveRecord(ctx, c, v) // nothing to move; repair the record if needed
			return res, err
		}
		if err := h.book(ctx, c, "book", doctorID, slot, cmd.ReservationID); err != nil {
			return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
		}
		o, err := update(ctx, h, c, reservationStep("reschedule", cmd.ReservationID, cmd.IfMatch, decide))
		if err != nil {
			h.compensate(ctx, c, doctorID, slot, cmd.ReservationID, err)
			return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
		}
		moves, revision, r = slices.Concat(o.done, o.appended), o.revision, o.agg
	}
	for _, e := range moves {
		if e, ok := e.(reservation.Rescheduled); ok {
			if _, err := h.release(ctx, c, "release", e.OldDoctorID, e.OldSlot, cmd.ReservationID, schedule.ReasonRescheduled); err != nil {
				return Result{}, fmt.Errorf("reschedule %s: release old slot: %w", cmd.ReservationID, err)
			}
		}
	}
	if _, err := h.moveRecord(ctx, c, r.Visit()); err != nil {
		return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
	}
	return Result{Revision: uint64(max(revision, 0)), Position: c.position.Load()}, nil
}

// moveRecord makes the medical record's visit time follow visit v; it
// reports whether it wrote.
func (h *Handler) moveRecord(ctx context.Context, c *command, v reservation.Visit) (bool, error) {
	o, err := update(ctx, h, c, recordStep("move", v.MedicalRecordID, nil, false, func(m *medicalrecord.Record) ([]domain.Event, error) {
		if m.Status() != medicalrecord.StatusOpen {
			return nil, nil // a record that is not open keeps its visit time
		}
		return m.MoveVisit(v.DoctorID, v.Slot, h.now(), c.by)
	}))
	return len(o.appended) > 0, err
}

// repairReschedule completes a reschedule the sweep finds half done at
// booking b. A placed reservation that does not sit at b either left it by
// a reschedule whose release never ran (b is released, reason
// "rescheduled"), or never moved to it (b is the new booking of a
// reschedule that crashed before moving the reservation: released as
// orphaned). A visit in its own place whose open record shows another
// doctor or time gets its record moved.
func (h *Handler) repairReschedule(ctx context.Context, s *sweep, b *booking) error {
	r := b.reservation.agg
	if !r.Placed() {
		return nil // never placed: the placement's repair
	}
	if !b.own() {
		reason, since := schedule.ReasonOrphaned, b.at
		if at, ok := b.leftByReschedule(); ok {
			reason, since = schedule.ReasonRescheduled, at
		}
		if !s.settled(since) {
			return nil
		}
		released, err := h.release(ctx, s.c, "release", b.doctorID, b.slot, r.ID(), reason)
		if released {
			if reason == schedule.ReasonRescheduled {
				s.sum.OldSlotsReleased++
			} else {
				s.sum.OrphansReleased++
			}
			h.log.Info("sweep released a place its reservation does not hold", "doctor", b.doctorID, "slot", b.slot, "reservation", r.ID(), "reason", reason)
		}
		return err
	}
	v := r.Visit()
	if _, ended := endReasons(v.Status); ended || !s.settled(v.At) {
		return nil
	}
	rec, err := h.bookedRecord(ctx, b)
	if err != nil || rec.Status() != medicalrecord.StatusOpen || (rec.DoctorID() == v.DoctorID && rec.VisitAt().Equal(v.Slot)) {
		return err
	}
	moved, err := h.moveRecord(ctx, s.c, v)
	if moved {
		b.record = nil
		s.sum.RecordsMoved++
		h.log.Info("sweep moved a medical record to its visit's time", "reservation", r.ID(), "slot", v.Slot)
	}
	return err
}

// leftByReschedule reports whether the reservation at b moved away from b
// by a reschedule, and when.
func (b *booking) leftByReschedule() (time.Time, bool) {
	events := b.reservation.hist.events
	for i := len(events) - 1; i >= 0; i-- {
		if e, ok := events[i].(reservation.Rescheduled); ok && e.OldDoctorID == b.doctorID && e.OldSlot.Equal(b.slot) {
			return e.At, true
		}
	}
	return time.Time{}, false
}

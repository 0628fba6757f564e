package commands

// Rule: no reservation without a free slot, and every reservation has its
// medical record.
//
// Appends, in order:
//  1. SlotBooked in schedule-<doctor>-<date>; it holds the reservation ID,
//     so the booking is the reservation's claim on the place;
//  2. ReservationPlaced in reservation-<id>;
//  3. MedicalRecordOpened in medicalrecord-<derived id>.
//
// A crash after
//   - 1: the booking is held by a reservation that does not exist. A retry
//     with the same key books again (a no-op: the booking holds the same
//     ID) and places. Without a retry, the sweep releases the booking
//     (reason "orphaned") once it is older than the grace period, so a
//     placement in flight keeps its place (repairPlace).
//   - 2: the reservation has no record, so it could never be examined or
//     billed. A retry finds ReservationPlaced by its ID and opens the
//     record; without one, the sweep opens it (repairPlace).
//   - 3: done.
//
// A placement refused by the domain releases its booking at once
// (compensate); one whose append may have been stored after all (a lost
// reply) keeps it, since the reservation may hold it: the sweep decides
// later from what the reservation says.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// PlaceReservation books a visit.
type PlaceReservation struct {
	Meta
	Customer reservation.Customer
	Pet      reservation.Pet
	DoctorID string
	Slot     time.Time
	Reason   string
}

// PlaceResult is where a placed reservation landed.
type PlaceResult struct {
	ReservationID   uuid.UUID
	MedicalRecordID uuid.UUID
	Result          // Revision of the reservation stream; Position of the last write
}

// PlaceReservation books the slot in the doctor's schedule, places the
// reservation and opens its medical record, in that order: the schedule
// decides whether the visit is possible, and the booking holds the
// reservation ID so a retry (same IdempotencyKey) finds its own booking.
// Errors: clinic.ErrUnknownDoctor, schedule.ErrDayNotOpen,
// schedule.ErrNoSuchSlot, schedule.ErrSlotPast, schedule.ErrSlotTaken, a
// *domain.ValidationError, ErrUnavailable.
func (h *Handler) PlaceReservation(ctx context.Context, cmd PlaceReservation) (PlaceResult, error) {
	p := reservation.Place{Customer: cmd.Customer, Pet: cmd.Pet, DoctorID: cmd.DoctorID, Slot: cmd.Slot.UTC(), Reason: cmd.Reason}
	if err := p.Validate(); err != nil {
		return PlaceResult{}, err
	}
	if _, ok := h.clinic.Doctor(cmd.DoctorID); !ok {
		return PlaceResult{}, fmt.Errorf("doctor %q: %w", cmd.DoctorID, clinic.ErrUnknownDoctor)
	}
	c := h.begin("place-reservation", cmd.Meta, cmd)
	id := uuid.New()
	if c.keyed {
		id = uuid.NewSHA1(c.id, []byte("reservation"))
	}
	res := PlaceResult{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id)}
	if c.keyed {
		// A retry must not book again (the first run's visit may since have
		// been cancelled): look for the first run's placement first.
		r, err := h.readReservation(ctx, id)
		if err != nil {
			return res, fmt.Errorf("place reservation %s: %w", id, err)
		}
		done, rev, pos, err := r.hist.findDone(c, "place", reservation.Stream(id))
		if err != nil {
			return res, fmt.Errorf("place reservation %s: %w", id, err)
		}
		if len(done) > 0 {
			c.saw(pos)
			if _, err := h.openRecord(ctx, c, r.agg); err != nil {
				return res, fmt.Errorf("place reservation %s: %w", id, err)
			}
			res.Revision, res.Position = uint64(rev), c.position.Load()
			return res, nil
		}
		if r.agg.Placed() {
			return res, fmt.Errorf("place reservation %s: %w", id, reservation.ErrAlreadyPlaced)
		}
	}
	if err := h.book(ctx, c, "book", cmd.DoctorID, p.Slot, id); err != nil {
		return res, fmt.Errorf("place reservation: %w", err)
	}
	place := reservationStep("place", id, nil, func(r *reservation.Reservation) ([]domain.Event, error) {
		return r.Place(p, h.now(), c.by)
	})
	place.fresh = true
	o, err := update(ctx, h, c, place)
	if err != nil {
		if !errors.Is(err, reservation.ErrAlreadyPlaced) {
			h.compensate(ctx, c, cmd.DoctorID, p.Slot, id, err)
		}
		return res, fmt.Errorf("place reservation %s: %w", id, err)
	}
	if _, err := h.openRecord(ctx, c, o.agg); err != nil {
		return res, fmt.Errorf("place reservation %s: %w", id, err)
	}
	res.Result = o.result(c)
	return res, nil
}

// compensate releases a booking whose reservation could not be placed (or
// moved there). When the failed append may have been stored after all, the
// reservation may hold the booking, so it is kept; so it is when the store
// is unreachable. Such a booking waits for a retry of the command or for
// the sweep, which checks the reservation first.
func (h *Handler) compensate(ctx context.Context, c *command, doctorID string, slot time.Time, id uuid.UUID, cause error) {
	if errors.Is(cause, errMaybeAppended) {
		h.log.Warn("booking left for repair", "doctor", doctorID, "slot", slot, "reservation", id, "cause", cause)
		return
	}
	ctx = context.WithoutCancel(ctx)
	if _, err := h.release(ctx, c, "compensate", doctorID, slot, id, schedule.ReasonOrphaned); err != nil {
		h.log.Warn("booking left for repair", "doctor", doctorID, "slot", slot, "reservation", id, "cause", cause, "err", err)
	}
}

// openRecord opens the medical record of placed reservation r if it has
// none; it reports whether it wrote.
func (h *Handler) openRecord(ctx context.Context, c *command, r *reservation.Reservation) (bool, error) {
	v := r.Visit()
	o, err := update(ctx, h, c, recordStep("open", v.MedicalRecordID, nil, true, func(m *medicalrecord.Record) ([]domain.Event, error) {
		if m.Status() != "" {
			return nil, nil
		}
		return m.Open(v, r.Reason(), h.now(), c.by)
	}))
	return len(o.appended) > 0, err
}

// repairPlace completes a placement the sweep finds half done at booking
// b: a booking whose reservation was never placed is released, and a
// reservation in its own place whose record was never opened gets it.
func (h *Handler) repairPlace(ctx context.Context, s *sweep, b *booking) error {
	r := b.reservation.agg
	switch {
	case !r.Placed():
		if !s.settled(b.at) {
			return nil
		}
		released, err := h.release(ctx, s.c, "release", b.doctorID, b.slot, r.ID(), schedule.ReasonOrphaned)
		if released {
			s.sum.OrphansReleased++
			h.log.Info("sweep released a booking whose reservation was never placed", "doctor", b.doctorID, "slot", b.slot, "reservation", r.ID())
		}
		return err
	case b.own() && s.settled(r.Visit().At):
		rec, err := h.bookedRecord(ctx, b)
		if err != nil || rec.Status() != "" {
			return err
		}
		opened, err := h.openRecord(ctx, s.c, r)
		if opened {
			b.record = nil
			s.sum.RecordsOpened++
			h.log.Info("sweep opened the medical record of a placed reservation", "reservation", r.ID())
		}
		return err
	}
	return nil
}

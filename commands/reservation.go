package commands

import (
	"context"
	"errors"
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

// Reschedule moves a booked visit to another slot (and doctor).
type Reschedule struct {
	Meta
	ReservationID uuid.UUID
	DoctorID      string // "" keeps the doctor
	Slot          time.Time
}

// Cancel cancels a booked visit.
type Cancel struct {
	Meta
	ReservationID uuid.UUID
	Reason        string
}

// CheckIn, Complete and NoShow move a visit along.
type (
	CheckIn struct {
		Meta
		ReservationID uuid.UUID
	}
	Complete struct {
		Meta
		ReservationID uuid.UUID
	}
	NoShow struct {
		Meta
		ReservationID uuid.UUID
	}
)

func reservationStep(name string, id uuid.UUID, ifMatch *uint64, decide func(*reservation.Reservation) ([]domain.Event, error)) step[*reservation.Reservation] {
	return step[*reservation.Reservation]{
		name: name, stream: reservation.Stream(id), ifMatch: ifMatch,
		new:    func() *reservation.Reservation { return reservation.New(id) },
		decode: reservation.Decode, decide: decide,
	}
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
	c := h.begin("place-reservation", cmd.Meta)
	id := uuid.New()
	if c.keyed {
		id = uuid.NewSHA1(c.id, []byte("reservation"))
	}
	res := PlaceResult{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id)}
	place := reservationStep("place", id, nil, func(r *reservation.Reservation) ([]domain.Event, error) {
		return r.Place(p, h.now(), c.by)
	})
	if c.keyed {
		// A retry must not book again (the first run's visit may since have
		// been cancelled): look for the first run's placement first.
		check := place
		check.decide = func(*reservation.Reservation) ([]domain.Event, error) { return nil, nil }
		o, err := update(ctx, h, c, check)
		if err != nil {
			return res, fmt.Errorf("place reservation %s: %w", id, err)
		}
		if len(o.done) > 0 {
			if err := h.openRecord(ctx, c, o.agg); err != nil {
				return res, fmt.Errorf("place reservation %s: %w", id, err)
			}
			res.Revision = uint64(o.revision)
			res.Position = max(o.position, c.position.Load())
			return res, nil
		}
		if o.agg.Placed() {
			return res, fmt.Errorf("place reservation %s: %w", id, reservation.ErrAlreadyPlaced)
		}
	}
	if err := h.book(ctx, c, "book", cmd.DoctorID, p.Slot, id); err != nil {
		return res, fmt.Errorf("place reservation: %w", err)
	}
	place.fresh = true
	o, err := update(ctx, h, c, place)
	if err != nil {
		if !errors.Is(err, reservation.ErrAlreadyPlaced) {
			h.compensate(ctx, c, cmd.DoctorID, p.Slot, id, err)
		}
		return res, fmt.Errorf("place reservation %s: %w", id, err)
	}
	if err := h.openRecord(ctx, c, o.agg); err != nil {
		return res, fmt.Errorf("place reservation %s: %w", id, err)
	}
	res.Result = o.result(c)
	return res, nil
}

// compensate releases a booking whose reservation could not be placed (or
// moved there). When the failed append may have been stored after all, the
// reservation may hold the booking, so it is kept; so it is when the store
// is unreachable. Such a booking waits for a retry of the command or for
// ReleaseOrphans, which checks the reservation first.
func (h *Handler) compensate(ctx context.Context, c *command, doctorID string, slot time.Time, id uuid.UUID, cause error) {
	if errors.Is(cause, errMaybeAppended) {
		h.log.Warn("booking left for repair", "doctor", doctorID, "slot", slot, "reservation", id, "cause", cause)
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := h.release(ctx, c, "compensate", doctorID, slot, id, schedule.ReasonOrphaned); err != nil {
		h.log.Warn("booking left for repair", "doctor", doctorID, "slot", slot, "reservation", id, "cause", cause, "err", err)
	}
}

// openRecord opens the medical record of placed reservation r (idempotent).
func (h *Handler) openRecord(ctx context.Context, c *command, r *reservation.Reservation) error {
	v := r.Visit()
	_, err := update(ctx, h, c, recordStep("open", v.MedicalRecordID, nil, true, func(m *medicalrecord.Record) ([]domain.Event, error) {
		if m.Status() != "" {
			return nil, nil
		}
		return m.Open(v, r.Reason(), h.now(), c.by)
	}))
	return err
}

// Reschedule books the new slot, moves the reservation, then releases the
// old slot and moves the medical record's visit time. If the reservation
// cannot move after all (cancelled meanwhile), the new booking is released.
// Errors: reservation.ErrNotFound, ErrCancelled, ErrCompleted, ErrCheckedIn,
// ErrNoShow, the schedule's booking errors, clinic.ErrUnknownDoctor, a
// *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) Reschedule(ctx context.Context, cmd Reschedule) (Result, error) {
	c := h.begin("reschedule/"+cmd.ReservationID.String(), cmd.Meta)
	slot := cmd.Slot.UTC()
	var doctorID string
	decide := func(r *reservation.Reservation) ([]domain.Event, error) {
		return r.Reschedule(doctorID, slot, h.now(), c.by)
	}
	check := reservationStep("reschedule", cmd.ReservationID, cmd.IfMatch, func(r *reservation.Reservation) ([]domain.Event, error) {
		if doctorID = cmd.DoctorID; doctorID == "" {
			doctorID = r.Visit().DoctorID
		}
		_, err := decide(r)
		return nil, err
	})
	o, err := update(ctx, h, c, check)
	if err != nil {
		return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
	}
	if len(o.done) == 0 {
		if _, ok := h.clinic.Doctor(doctorID); !ok {
			return Result{}, fmt.Errorf("doctor %q: %w", doctorID, clinic.ErrUnknownDoctor)
		}
		v := o.agg.Visit()
		if v.DoctorID == doctorID && v.Slot.Equal(slot) {
			return o.result(c), h.moveRecord(ctx, c, v) // nothing to move; repair the record if needed
		}
		if err := h.book(ctx, c, "book", doctorID, slot, cmd.ReservationID); err != nil {
			return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
		}
		move := reservationStep("reschedule", cmd.ReservationID, cmd.IfMatch, decide)
		if o, err = update(ctx, h, c, move); err != nil {
			h.compensate(ctx, c, doctorID, slot, cmd.ReservationID, err)
			return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
		}
	}
	for _, e := range slices.Concat(o.done, o.appended) {
		if e, ok := e.(reservation.Rescheduled); ok {
			if err := h.release(ctx, c, "release", e.OldDoctorID, e.OldSlot, cmd.ReservationID, schedule.ReasonRescheduled); err != nil {
				return Result{}, fmt.Errorf("reschedule %s: release old slot: %w", cmd.ReservationID, err)
			}
		}
	}
	if err := h.moveRecord(ctx, c, o.agg.Visit()); err != nil {
		return Result{}, fmt.Errorf("reschedule %s: %w", cmd.ReservationID, err)
	}
	return o.result(c), nil
}

// moveRecord makes the medical record's visit time follow visit v.
func (h *Handler) moveRecord(ctx context.Context, c *command, v reservation.Visit) error {
	_, err := update(ctx, h, c, recordStep("move", v.MedicalRecordID, nil, false, func(m *medicalrecord.Record) ([]domain.Event, error) {
		if m.Status() != medicalrecord.StatusOpen {
			return nil, nil // a record that is not open keeps its visit time
		}
		return m.MoveVisit(v.DoctorID, v.Slot, h.now(), c.by)
	}))
	return err
}

// Cancel cancels the reservation, voids its medical record and releases
// its slot. Cancelling a cancelled reservation reports ErrCancelled, but
// first completes the voiding and release if a crash interrupted them.
// Errors: reservation.ErrNotFound, ErrCancelled, ErrCompleted,
// ErrCheckedIn, ErrNoShow, ErrStale, ErrUnavailable.
func (h *Handler) Cancel(ctx context.Context, cmd Cancel) (Result, error) {
	c := h.begin("cancel/"+cmd.ReservationID.String(), cmd.Meta)
	return h.end(ctx, c, "cancel", cmd.ReservationID, cmd.IfMatch, reservation.ErrCancelled,
		medicalrecord.VoidCancelled, schedule.ReasonCancelled,
		func(r *reservation.Reservation) ([]domain.Event, error) { return r.Cancel(cmd.Reason, h.now(), c.by) })
}

// NoShow marks the visit as missed, voids its medical record (a visit that
// did not happen is not billed) and releases the slot. Errors: as Cancel,
// with reservation.ErrNoShow for a repeat.
func (h *Handler) NoShow(ctx context.Context, cmd NoShow) (Result, error) {
	c := h.begin("no-show/"+cmd.ReservationID.String(), cmd.Meta)
	return h.end(ctx, c, "no-show", cmd.ReservationID, cmd.IfMatch, reservation.ErrNoShow,
		medicalrecord.VoidNoShow, schedule.ReasonNoShow,
		func(r *reservation.Reservation) ([]domain.Event, error) { return r.MarkNoShow(h.now(), c.by) })
}

// end runs a transition that ends a visit before it happens, then voids the
// record and releases the slot. repeatErr is the domain's error for the
// transition done before; the follow-ups run then as well (idempotently).
func (h *Handler) end(ctx context.Context, c *command, name string, id uuid.UUID, ifMatch *uint64, repeatErr error,
	voidReason, releaseReason string, decide func(*reservation.Reservation) ([]domain.Event, error)) (Result, error) {
	o, err := update(ctx, h, c, reservationStep(name, id, ifMatch, decide))
	if err != nil && !errors.Is(err, repeatErr) {
		return Result{}, fmt.Errorf("%s %s: %w", name, id, err)
	}
	v := o.agg.Visit()
	if ferr := h.voidRecord(ctx, c, v.MedicalRecordID, voidReason); ferr != nil {
		return Result{}, fmt.Errorf("%s %s: void medical record: %w", name, id, ferr)
	}
	if ferr := h.release(ctx, c, "release", v.DoctorID, v.Slot, id, releaseReason); ferr != nil {
		return Result{}, fmt.Errorf("%s %s: release slot: %w", name, id, ferr)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w", name, id, err)
	}
	return o.result(c), nil
}

// voidRecord voids medical record id (idempotent; a record never opened is
// left alone).
func (h *Handler) voidRecord(ctx context.Context, c *command, id uuid.UUID, reason string) error {
	_, err := update(ctx, h, c, recordStep("void", id, nil, false, func(m *medicalrecord.Record) ([]domain.Event, error) {
		if m.Status() == "" {
			return nil, nil
		}
		return m.Void(reason, h.now(), c.by)
	}))
	return err
}

// CheckIn records the animal's arrival. Errors: reservation.ErrNotFound,
// ErrCancelled, ErrCompleted, ErrCheckedIn, ErrNoShow, ErrStale, ErrUnavailable.
func (h *Handler) CheckIn(ctx context.Context, cmd CheckIn) (Result, error) {
	c := h.begin("check-in/"+cmd.ReservationID.String(), cmd.Meta)
	o, err := update(ctx, h, c, reservationStep("check-in", cmd.ReservationID, cmd.IfMatch,
		func(r *reservation.Reservation) ([]domain.Event, error) { return r.CheckIn(h.now(), c.by) }))
	if err != nil {
		return Result{}, fmt.Errorf("check in %s: %w", cmd.ReservationID, err)
	}
	return o.result(c), nil
}

// Complete records the end of the visit. Errors: reservation.ErrNotFound,
// ErrNotCheckedIn, ErrCancelled, ErrCompleted, ErrNoShow, ErrStale, ErrUnavailable.
func (h *Handler) Complete(ctx context.Context, cmd Complete) (Result, error) {
	c := h.begin("complete/"+cmd.ReservationID.String(), cmd.Meta)
	o, err := update(ctx, h, c, reservationStep("complete", cmd.ReservationID, cmd.IfMatch,
		func(r *reservation.Reservation) ([]domain.Event, error) { return r.Complete(h.now(), c.by) }))
	if err != nil {
		return Result{}, fmt.Errorf("complete %s: %w", cmd.ReservationID, err)
	}
	return o.result(c), nil
}

// loadReservation reads and folds reservation id (not found: an empty one).
func (h *Handler) loadReservation(ctx context.Context, id uuid.UUID) (*reservation.Reservation, error) {
	r := reservation.New(id)
	if err := h.load(ctx, reservation.Stream(id), reservation.Decode, r); err != nil {
		return nil, err
	}
	return r, nil
}

// load reads stream and folds it into agg.
func (h *Handler) load(ctx context.Context, stream string, decode func(string, []byte) (domain.Event, error), agg aggregate) error {
	recs, err := h.store.Read(ctx, stream, 0)
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	for _, r := range recs {
		e, err := decode(r.Type, r.Data)
		if err != nil {
			return fmt.Errorf("%s@%d: %w", stream, r.Revision, err)
		}
		agg.Apply(e)
	}
	return nil
}

package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/reservation"
)

// CheckIn and Complete move a visit along.
type (
	CheckIn struct {
		Meta
		ReservationID uuid.UUID
	}
	Complete struct {
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

// CheckIn records the animal's arrival, at most Options.CheckInWindow
// before the slot. Errors: reservation.ErrNotFound, ErrCancelled,
// ErrCompleted, ErrCheckedIn, ErrNoShow, ErrTooEarly, ErrStale, ErrUnavailable.
func (h *Handler) CheckIn(ctx context.Context, cmd CheckIn) (Result, error) {
	c := h.begin("check-in/"+cmd.ReservationID.String(), cmd.Meta, cmd)
	o, err := update(ctx, h, c, reservationStep("check-in", cmd.ReservationID, cmd.IfMatch,
		func(r *reservation.Reservation) ([]domain.Event, error) {
			return r.CheckIn(h.now(), h.rules.CheckInWindow, c.by)
		}))
	if err != nil {
		return Result{}, fmt.Errorf("check in %s: %w", cmd.ReservationID, err)
	}
	return o.result(c), nil
}

// Complete records the end of the visit. Errors: reservation.ErrNotFound,
// ErrNotCheckedIn, ErrCancelled, ErrCompleted, ErrNoShow, ErrStale, ErrUnavailable.
func (h *Handler) Complete(ctx context.Context, cmd Complete) (Result, error) {
	c := h.begin("complete/"+cmd.ReservationID.String(), cmd.Meta, cmd)
	o, err := update(ctx, h, c, reservationStep("complete", cmd.ReservationID, cmd.IfMatch,
		func(r *reservation.Reservation) ([]domain.Event, error) { return r.Complete(h.now(), c.by) }))
	if err != nil {
		return Result{}, fmt.Errorf("complete %s: %w", cmd.ReservationID, err)
	}
	return o.result(c), nil
}

package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/schedule"
)

// OpenDay opens a doctor's day, or changes its hours (PUT semantics: the
// same hours again change nothing).
type OpenDay struct {
	Meta
	DoctorID    string
	Date        string // YYYY-MM-DD in the clinic's time zone
	Opens       string // "09:00"
	Closes      string // "18:00"
	SlotMinutes int
	Capacity    int
	// Extra opens the day on a weekday the doctor does not usually work.
	Extra bool
}

// CloseDay marks a doctor's day as a day off.
type CloseDay struct {
	Meta
	DoctorID string
	Date     string
	Reason   string
}

// OpenDay opens or changes a doctor's day, within Options.DaysBack and
// DaysAhead of today. Errors: clinic.ErrUnknownDoctor,
// schedule.ErrNotWorkingDay (without Extra), ErrOutsideHorizon, ErrStrandBookings, a
// *domain.ValidationError, ErrStale, ErrUnavailable.
func (h *Handler) OpenDay(ctx context.Context, cmd OpenDay) (Result, error) {
	doctor, ok := h.clinic.Doctor(cmd.DoctorID)
	if !ok {
		return Result{}, fmt.Errorf("doctor %q: %w", cmd.DoctorID, clinic.ErrUnknownDoctor)
	}
	if _, err := time.Parse(time.DateOnly, cmd.Date); err != nil {
		return Result{}, domain.Invalidf("date", "must be YYYY-MM-DD")
	}
	c := h.begin("open-day/"+cmd.DoctorID+"/"+cmd.Date, cmd.Meta, cmd)
	hours := schedule.Hours{Opens: cmd.Opens, Closes: cmd.Closes, SlotMinutes: cmd.SlotMinutes, Capacity: cmd.Capacity}
	o, err := update(ctx, h, c, h.scheduleStep("open", cmd.DoctorID, cmd.Date, cmd.IfMatch,
		func(s *schedule.Schedule) ([]domain.Event, error) {
			rules := schedule.Opening{Extra: cmd.Extra, DaysBack: h.rules.DaysBack, DaysAhead: h.rules.DaysAhead}
			return s.Open(doctor, h.clinic.Location, hours, rules, h.now(), c.by)
		}))
	if err != nil {
		return Result{}, fmt.Errorf("open %s on %s: %w", cmd.DoctorID, cmd.Date, err)
	}
	return o.result(c), nil
}

// CloseDay closes a doctor's day. A day that still holds bookings is not
// closed: the error names them, for staff to move or cancel (and so tell
// each customer) first. Errors: clinic.ErrUnknownDoctor,
// schedule.ErrHasBookings, a *domain.ValidationError, ErrStale,
// ErrUnavailable.
func (h *Handler) CloseDay(ctx context.Context, cmd CloseDay) (Result, error) {
	if _, ok := h.clinic.Doctor(cmd.DoctorID); !ok {
		return Result{}, fmt.Errorf("doctor %q: %w", cmd.DoctorID, clinic.ErrUnknownDoctor)
	}
	if _, err := time.Parse(time.DateOnly, cmd.Date); err != nil {
		return Result{}, domain.Invalidf("date", "must be YYYY-MM-DD")
	}
	c := h.begin("close-day/"+cmd.DoctorID+"/"+cmd.Date, cmd.Meta, cmd)
	o, err := update(ctx, h, c, h.scheduleStep("close", cmd.DoctorID, cmd.Date, cmd.IfMatch,
		func(s *schedule.Schedule) ([]domain.Event, error) { return s.Close(cmd.Reason, h.now(), c.by) }))
	if err != nil {
		return Result{}, fmt.Errorf("close %s on %s: %w", cmd.DoctorID, cmd.Date, err)
	}
	return o.result(c), nil
}

func (h *Handler) scheduleStep(name, doctorID, date string, ifMatch *uint64, decide func(*schedule.Schedule) ([]domain.Event, error)) step[*schedule.Schedule] {
	return step[*schedule.Schedule]{
		name: name, stream: schedule.Stream(doctorID, date), ifMatch: ifMatch,
		new:    func() *schedule.Schedule { return schedule.New(doctorID, date) },
		decode: schedule.Decode, decide: decide,
	}
}

// day is the date (YYYY-MM-DD, clinic time) of a slot.
func (h *Handler) day(slot time.Time) string { return slot.In(h.clinic.Location).Format(time.DateOnly) }

// book takes a place in doctorID's slot for reservation id (idempotent).
func (h *Handler) book(ctx context.Context, c *command, stepName, doctorID string, slot time.Time, id uuid.UUID) error {
	_, err := update(ctx, h, c, h.scheduleStep(stepName, doctorID, h.day(slot), nil,
		func(s *schedule.Schedule) ([]domain.Event, error) { return s.Book(slot, id, h.now(), c.by) }))
	return err
}

// release gives back reservation id's place in doctorID's slot
// (idempotent); it reports whether it wrote.
func (h *Handler) release(ctx context.Context, c *command, stepName, doctorID string, slot time.Time, id uuid.UUID, reason string) (bool, error) {
	o, err := update(ctx, h, c, h.scheduleStep(stepName, doctorID, h.day(slot), nil,
		func(s *schedule.Schedule) ([]domain.Event, error) { return s.Release(slot, id, reason, h.now(), c.by) }))
	return len(o.appended) > 0, err
}

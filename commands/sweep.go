package commands

// The sweep completes every cross-aggregate rule that a crash left half
// done and no retry came to finish. Each rule's file says what a crash
// after each of its appends leaves; each holds its repair (repairPlace,
// repairReschedule, repairEnd, repairInvoice, repairReopen, repairDetails); the sweep finds the
// candidates and runs them all.
//
// Candidates are found from the doctors' days: every rule keeps a place
// booked in a doctor's day for as long as it has something left to do
// (the placement books first; a reschedule releases the old place only
// after moving the reservation; an ended visit releases its place last; a
// checked-in visit keeps its place for good), and each booking names its
// reservation, which names its record, whose finalisation names its
// invoice. So the sweep reads each doctor's day from SweepDaysBack days
// before today to SweepDaysAhead days after (clinic time), and for each
// booking the reservation, and for a reservation in its own place the
// record (and the invoice of a finalised record). Reads take no write lock
// and write nothing; only a repair that has something to do writes, through
// the same update path as every command, so a sweep over a consistent store
// writes nothing and two sweeps (or a sweep and a command) never double a
// step.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
)

// The sweep's cadence and scope. A rule cut more than SweepDaysBack days
// before its visit's day (a record finalised weeks after the visit, then
// a crash) is outside the sweep; a retry of its command still completes it.
const (
	// SweepFirst is how long after RunSweeps starts the first sweep runs
	// (the process serves first).
	SweepFirst = time.Minute
	// SweepInterval is the time between two sweeps.
	SweepInterval = 10 * time.Minute
	// SweepDaysBack and SweepDaysAhead bound the doctors' days swept around
	// today: back far enough for a visit's billing, ahead as far as people
	// book.
	SweepDaysBack  = 31
	SweepDaysAhead = 60
	// SweepGrace is how long the sweep leaves a rule alone after its last
	// step, so that a command in flight completes it itself: releasing the
	// booking of a placement in flight would let its reservation in
	// without a place.
	SweepGrace = 2 * time.Minute
)

// SweepSummary is what a sweep inspected and what it completed.
type SweepSummary struct {
	Days     int // doctors' days read
	Bookings int // bookings inspected

	OrphansReleased    int // bookings of a placement or reschedule that never moved the reservation there
	RecordsOpened      int // placed reservations whose record was never opened
	OldSlotsReleased   int // places a reschedule left but never released
	RecordsMoved       int // records that never followed their visit's reschedule
	RecordsVoided      int // ended visits whose record was never voided
	EndedSlotsReleased int // ended visits whose place was never released
	InvoicesIssued     int // finalised records whose invoice was never issued
	RecordsReopened    int // finalised records whose invoice was voided but which were never reopened
	DetailsFollowed    int // records and bills that never followed their visit's corrected details
}

// Completed is how many steps the sweep wrote.
func (s SweepSummary) Completed() int {
	return s.OrphansReleased + s.RecordsOpened + s.OldSlotsReleased + s.RecordsMoved +
		s.RecordsVoided + s.EndedSlotsReleased + s.InvoicesIssued + s.RecordsReopened + s.DetailsFollowed
}

// RunSweeps runs Sweep SweepFirst after it is called and then every
// SweepInterval, until ctx ends. A failed sweep is logged and waits for the
// next round: a store that is down now is swept later.
func (h *Handler) RunSweeps(ctx context.Context) {
	wait := time.NewTimer(SweepFirst)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		sum, err := h.Sweep(ctx, h.now())
		switch {
		case err != nil && ctx.Err() == nil:
			h.log.Warn("sweep failed; trying again next round", "err", err, "completed", sum.Completed())
		case sum.Completed() > 0:
			h.log.Info("sweep completed half-done rules", "summary", sum)
		}
		wait.Reset(SweepInterval)
	}
}

// Sweep completes every half-done rule it finds in the doctors' days
// around now (see SweepDaysBack, SweepDaysAhead), leaving alone what
// changed less than SweepGrace before now. It goes on past a failing
// booking and returns the first error with what it did; it stops when the
// store is unavailable or ctx ends.
func (h *Handler) Sweep(ctx context.Context, now time.Time) (SweepSummary, error) {
	s := &sweep{now: now, grace: SweepGrace}
	start := now.In(h.clinic.Location)
	var first error
	for _, d := range h.clinic.Doctors {
		for i := -SweepDaysBack; i <= SweepDaysAhead; i++ {
			date := time.Date(start.Year(), start.Month(), start.Day()+i, 0, 0, 0, 0, h.clinic.Location).Format(time.DateOnly)
			err := h.sweepDay(ctx, s, d.ID, date)
			if err == nil {
				continue
			}
			err = fmt.Errorf("sweep %s on %s: %w", d.ID, date, err)
			if ctx.Err() != nil || errors.Is(err, ErrUnavailable) {
				return s.sum, err
			}
			h.log.Warn("sweep skipped a day", "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return s.sum, first
}

// sweep is one run of Sweep.
type sweep struct {
	c     *command // the current booking's repairs
	now   time.Time
	grace time.Duration
	sum   SweepSummary
}

// settled reports whether a step taken at at is older than the grace
// period, so that no command in flight is still completing it.
func (s *sweep) settled(at time.Time) bool { return s.now.Sub(at) >= s.grace }

// booking is one place held in a doctor's day, with the reservation it
// names.
type booking struct {
	doctorID    string
	slot        time.Time
	at          time.Time // when it was booked
	reservation view[*reservation.Reservation]
	record      *medicalrecord.Record // read on first use; nil again after a repair wrote it
}

// own reports whether b is the place its reservation holds.
func (b *booking) own() bool {
	v := b.reservation.agg.Visit()
	return b.reservation.agg.Placed() && v.DoctorID == b.doctorID && v.Slot.Equal(b.slot)
}

// bookedRecord returns the medical record of b's reservation, as the store
// holds it now.
func (h *Handler) bookedRecord(ctx context.Context, b *booking) (*medicalrecord.Record, error) {
	if b.record == nil {
		rec, err := h.readRecord(ctx, b.reservation.agg.Visit().MedicalRecordID)
		if err != nil {
			return nil, err
		}
		b.record = rec.agg
	}
	return b.record, nil
}

// sweepDay runs every rule's repair on each booking of doctorID's day that
// is older than the grace period.
func (h *Handler) sweepDay(ctx context.Context, s *sweep, doctorID, date string) error {
	day, err := h.readSchedule(ctx, doctorID, date)
	if err != nil {
		return err
	}
	s.sum.Days++
	var first error
	for slot, ids := range day.agg.Bookings() {
		for _, id := range ids {
			b := &booking{doctorID: doctorID, slot: slot, at: day.agg.BookedAt(slot, id)}
			if !s.settled(b.at) {
				continue
			}
			s.sum.Bookings++
			err := h.repairBooking(ctx, s, b, id)
			if err == nil {
				continue
			}
			if ctx.Err() != nil || errors.Is(err, ErrUnavailable) {
				return err
			}
			if first == nil {
				first = fmt.Errorf("reservation %s: %w", id, err)
			}
		}
	}
	return first
}

// repairBooking reads reservation id, which holds booking b, and runs
// every rule's repair on it, in the order of the rules' appends.
func (h *Handler) repairBooking(ctx context.Context, s *sweep, b *booking, id uuid.UUID) error {
	var err error
	if b.reservation, err = h.readReservation(ctx, id); err != nil {
		return err
	}
	s.c = h.begin("sweep", Meta{By: "system"}, nil)
	for _, repair := range []func(context.Context, *sweep, *booking) error{
		h.repairPlace, h.repairReschedule, h.repairEnd, h.repairInvoice, h.repairReopen, h.repairDetails,
	} {
		if err := repair(ctx, s, b); err != nil {
			return err
		}
	}
	return nil
}

// RepairReservation completes, right away, what a crash left undone around
// reservation id at its own place: it opens the record if it is missing,
// makes an open record follow the visit's time, voids the record and
// releases the place of a cancelled or missed visit, issues the invoice
// of a finalised record, reopens a record whose invoice was voided, and
// makes the record and bill follow corrected details. The sweep does the same for every booking; this
// is for one reservation on demand. On a consistent reservation it writes
// nothing. Errors: reservation.ErrNotFound, ErrUnavailable.
func (h *Handler) RepairReservation(ctx context.Context, id uuid.UUID) (Result, error) {
	r, err := h.readReservation(ctx, id)
	if err != nil {
		return Result{}, fmt.Errorf("repair %s: %w", id, err)
	}
	if !r.agg.Placed() {
		return Result{}, fmt.Errorf("repair %s: %w", id, reservation.ErrNotFound)
	}
	v := r.agg.Visit()
	s := &sweep{now: h.now()} // no grace: asked for now
	b := &booking{doctorID: v.DoctorID, slot: v.Slot}
	if err := h.repairBooking(ctx, s, b, id); err != nil {
		return Result{}, fmt.Errorf("repair %s: %w", id, err)
	}
	return r.result(s.c), nil
}

package notice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
)

// Config is what the service needs to know about the clinic.
type Config struct {
	Clinic string        // the display name in every message
	Locale Locale        // the language of messages; Korean when empty
	MaxAge time.Duration // events older than this are recorded expired, not sent; 0: 72h
	// ReminderHour is the hour (0-23, clinic's zone) of the day before a
	// visit when its reminder goes out; out-of-range values are clamped.
	ReminderHour int
}

// Service turns events into messages: it renders them, records them and
// hands them to the dispatcher. It also remembers each reservation's visit
// for the day-before reminders.
type Service struct {
	cfg      Config
	render   *Renderer
	dispatch *Dispatcher
	visits   VisitStore
	now      func() time.Time
	log      *slog.Logger
}

// NewService returns a service; now is its clock (time.Now when nil).
func NewService(cfg Config, r *Renderer, d *Dispatcher, visits VisitStore, now func() time.Time, log *slog.Logger) *Service {
	if cfg.Locale == "" {
		cfg.Locale = Korean
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 72 * time.Hour
	}
	cfg.ReminderHour = min(max(cfg.ReminderHour, 0), 23)
	if now == nil {
		now = time.Now
	}
	return &Service{cfg: cfg, render: r, dispatch: d, visits: visits, now: now, log: log}
}

// Types lists the event types Handle reacts to (for a server-side filter).
func Types() []string {
	return append(reservation.Types(), invoiceIssuedType)
}

// Handle reacts to one event: at most one message, recorded under the
// event's ID before it is sent, so handling an event again (a redelivery,
// a replay from an older checkpoint) sends nothing new. It ignores event
// types it does not react to, and returns an error only when the store
// failed; an event it cannot decode is logged and skipped, because no
// retry could make it decodable.
func (s *Service) Handle(ctx context.Context, ev projections.Event) error {
	m, ok, err := s.message(ctx, ev)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	m.ID, m.Position, m.Locale = ev.ID, ev.Position.Commit, s.cfg.Locale
	if m.Text, err = s.render.Render(m.Locale, m.Facts); err != nil {
		return fmt.Errorf("notice for event %s: %w", ev.ID, err)
	}
	if age := s.now().Sub(m.CreatedAt); age > s.cfg.MaxAge {
		m.Status, m.LastError, m.CreatedAt = StatusExpired, fmt.Sprintf("event %s old, not sent", age.Round(time.Minute)), s.now().UTC()
		_, err := s.dispatch.store.Add(ctx, m)
		return err
	}
	if _, err := s.dispatch.Submit(ctx, m); err != nil {
		return fmt.Errorf("notice for event %s: %w", ev.ID, err)
	}
	return nil
}

// message builds the message for ev without its ID and text; ok is false
// for an event that tells the customer nothing.
func (s *Service) message(ctx context.Context, ev projections.Event) (m Message, ok bool, err error) {
	if ev.Type == invoiceIssuedType {
		return s.invoiceMessage(ev)
	}
	e, err := reservation.Decode(ev.Type, ev.Data)
	if errors.Is(err, reservation.ErrUnknownType) {
		return Message{}, false, nil
	}
	if err != nil {
		s.log.Error("notice: undecodable event skipped", "id", ev.ID, "type", ev.Type, "err", err)
		return Message{}, false, nil
	}
	var (
		v     reservation.Visit
		facts Facts
	)
	switch e := e.(type) {
	case reservation.Placed:
		v, facts = e.Visit, Facts{Kind: KindPlaced}
	case reservation.Rescheduled:
		v, facts = e.Visit, Facts{Kind: KindRescheduled, OldSlot: e.OldSlot}
	case reservation.Cancelled:
		v, facts = e.Visit, Facts{Kind: KindCancelled, Reason: e.Reason}
	case reservation.CheckedIn:
		v, facts = e.Visit, Facts{Kind: KindCheckedIn}
	case reservation.Completed:
		v, facts = e.Visit, Facts{Kind: KindCompleted}
	case reservation.NoShow:
		v, facts = e.Visit, Facts{Kind: KindNoShow}
	default:
		return Message{}, false, nil
	}
	visit := Visit{
		ReservationID: v.ReservationID.String(), Pet: v.Pet.Name, To: Phone(v.Customer.Phone),
		Locale: s.cfg.Locale, Slot: v.Slot, Status: string(v.Status), Position: ev.Position,
	}
	if facts.Kind == KindPlaced || facts.Kind == KindRescheduled {
		visit.BookedAt = v.At
	}
	if err := s.visits.PutVisit(ctx, visit); err != nil {
		return Message{}, false, fmt.Errorf("remember visit %s: %w", visit.ReservationID, err)
	}
	facts.Clinic, facts.Pet, facts.Slot = s.cfg.Clinic, v.Pet.Name, v.Slot
	return Message{
		Kind: facts.Kind, ReservationID: visit.ReservationID, To: visit.To,
		Facts: facts, CreatedAt: v.At,
	}, true, nil
}

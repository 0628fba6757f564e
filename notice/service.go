package notice

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vetclinic/clinic/domain/invoice"
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
	// Links makes the status page link every message carries; nil sends
	// messages without one.
	Links Links
}

// Links makes the link to a reservation's status page for the customer at
// phone: a capability for that one reservation (package statuslink). It
// must be a pure function of its arguments, so a redelivered or re-read
// event renders the same text. "" means no link.
type Links interface {
	StatusURL(reservationID, phone string) string
}

// link returns the status link of a message to to about reservation id.
func (s *Service) link(reservationID string, to Phone) string {
	if s.cfg.Links == nil {
		return ""
	}
	return s.cfg.Links.StatusURL(reservationID, string(to))
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

// Types lists the event types Decide reacts to (for a server-side filter).
func Types() []string {
	return append(reservation.Types(), invoice.TypeIssued, invoice.TypeDiscountGranted, invoice.TypeVoided)
}

// Decide says what ev means to the notice service, without I/O: the visit
// to remember (nil when none) and the message to record (nil when the
// event tells the customer nothing), pending and due now, or expired when
// the event is older than MaxAge. Event types it does not react to give
// neither. An event it cannot decode is logged and gives neither, because
// no retry could make it decodable; the error is for a broken template.
func (s *Service) Decide(ev projections.Event) (*Visit, *Message, error) {
	v, m, ok := s.message(ev)
	if !ok {
		return v, nil, nil
	}
	now := s.now().UTC()
	m.ID, m.Position, m.Locale = ev.ID, ev.Position.Commit, s.cfg.Locale
	m.Status, m.NextAttemptAt = StatusPending, now
	m.Facts.Link = s.link(m.ReservationID, m.To)
	var err error
	if m.Text, err = s.render.Render(m.Locale, m.Facts); err != nil {
		return nil, nil, fmt.Errorf("notice for event %s: %w", ev.ID, err)
	}
	if age := now.Sub(m.CreatedAt); age > s.cfg.MaxAge {
		m.Status, m.LastError = StatusExpired, fmt.Sprintf("not sent: the event was %s old when read", age.Round(time.Minute))
	}
	return v, &m, nil
}

// message builds the visit and the message for ev, without the message's
// ID, text and status; ok is false for an event that tells the customer
// nothing.
func (s *Service) message(ev projections.Event) (v *Visit, m Message, ok bool) {
	if ev.Type == invoice.TypeIssued || ev.Type == invoice.TypeDiscountGranted || ev.Type == invoice.TypeVoided {
		m, ok := s.invoiceMessage(ev)
		return nil, m, ok
	}
	e, err := reservation.Decode(ev.Type, ev.Data)
	if errors.Is(err, reservation.ErrUnknownType) {
		return nil, Message{}, false
	}
	if err != nil {
		s.log.Error("notice: undecodable event skipped", "id", ev.ID, "type", ev.Type, "err", err)
		return nil, Message{}, false
	}
	var (
		rv    reservation.Visit
		facts Facts
	)
	switch e := e.(type) {
	case reservation.Placed:
		rv, facts = e.Visit, Facts{Kind: KindPlaced}
	case reservation.Rescheduled:
		rv, facts = e.Visit, Facts{Kind: KindRescheduled, OldSlot: e.OldSlot}
	case reservation.Cancelled:
		rv, facts = e.Visit, Facts{Kind: KindCancelled, Reason: e.Reason}
	case reservation.CheckedIn:
		rv, facts = e.Visit, Facts{Kind: KindCheckedIn}
	case reservation.Completed:
		rv, facts = e.Visit, Facts{Kind: KindCompleted}
	case reservation.NoShow:
		rv, facts = e.Visit, Facts{Kind: KindNoShow}
	case reservation.DetailsCorrected:
		rv, facts = e.Visit, Facts{Kind: KindDetailsChanged}
	default:
		return nil, Message{}, false
	}
	v = &Visit{
		ReservationID: rv.ReservationID.String(), Pet: rv.Pet.Name, To: Phone(rv.Customer.Phone),
		Locale: s.cfg.Locale, Slot: rv.Slot, Status: string(rv.Status), Position: ev.Position,
	}
	if facts.Kind == KindPlaced || facts.Kind == KindRescheduled {
		v.BookedAt = rv.At
	}
	facts.Clinic, facts.Pet, facts.Slot = s.cfg.Clinic, rv.Pet.Name, rv.Slot
	return v, Message{Kind: facts.Kind, ReservationID: v.ReservationID, To: v.To, Facts: facts, CreatedAt: rv.At}, true
}

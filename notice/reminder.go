package notice

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ReminderID is the message ID of the reminder for a reservation's visit on
// a day (YYYY-MM-DD in the clinic's zone). It is derived, so however often
// the trigger fires, or whichever process fires it, one visit gets one
// reminder.
func ReminderID(reservationID, day string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("clinic/notice/reminder/"+reservationID+"/"+day)).String()
}

// Remind records and queues the reminders due at now: once it is the
// configured hour in the clinic's zone, one for every visit still booked
// for the next day, except visits booked or moved after that hour (their
// confirmation is fresher news). Cancelled visits are not booked, so they
// get none. It returns how many new reminders it queued.
func (s *Service) Remind(ctx context.Context, now time.Time) (int, error) {
	zone := s.render.Zone()
	local := now.In(zone)
	y, mo, d := local.Date()
	due := time.Date(y, mo, d, s.cfg.ReminderHour, 0, 0, 0, zone)
	if local.Before(due) {
		return 0, nil
	}
	from, to := time.Date(y, mo, d+1, 0, 0, 0, 0, zone), time.Date(y, mo, d+2, 0, 0, 0, 0, zone)
	visits, err := s.visits.BookedVisits(ctx, from, to)
	if err != nil {
		return 0, fmt.Errorf("reminders for %s: %w", from.Format(time.DateOnly), err)
	}
	n := 0
	for _, v := range visits {
		if !v.BookedAt.Before(due) {
			continue
		}
		f := Facts{Kind: KindReminder, Clinic: s.cfg.Clinic, Pet: v.Pet, Slot: v.Slot, Link: s.link(v.ReservationID, v.To)}
		m := Message{
			ID: ReminderID(v.ReservationID, from.Format(time.DateOnly)), Kind: KindReminder,
			ReservationID: v.ReservationID, Locale: v.Locale, To: v.To, Facts: f, CreatedAt: now.UTC(),
		}
		if m.Text, err = s.render.Render(m.Locale, f); err != nil {
			return n, fmt.Errorf("reminder for %s: %w", v.ReservationID, err)
		}
		added, err := s.dispatch.Submit(ctx, m)
		if err != nil {
			return n, fmt.Errorf("reminder for %s: %w", v.ReservationID, err)
		}
		if added {
			n++
		}
	}
	return n, nil
}

// RunReminders calls Remind with the service's clock every interval (a
// minute when 0) until ctx is done. ready, when not nil, holds the reminders back while it
// reports false (for instance while the subscriber is still catching up and
// may not have seen a cancellation yet).
func (s *Service) RunReminders(ctx context.Context, interval time.Duration, ready func() bool) error {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if ready == nil || ready() {
			if n, err := s.Remind(ctx, s.now()); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				s.log.Warn("notice: reminders", "err", err)
			} else if n > 0 {
				s.log.Info("notice: reminders queued", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

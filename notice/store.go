package notice

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/vetclinic/clinic/projections"
)

// Store records messages and their attempts. It is the notice service's
// memory: a message is recorded before it is first sent, so a redelivered
// event (or a rebuild that replays old ones) finds it and sends nothing.
type Store interface {
	// Add records m unless a message with m.ID is already recorded, and
	// reports whether it added it.
	Add(ctx context.Context, m Message) (added bool, err error)
	// Get returns the message with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Message, error)
	// Save replaces the recorded message with m.ID, or returns ErrNotFound.
	Save(ctx context.Context, m Message) error
	// Due returns up to limit pending messages whose next attempt is due at
	// now, the longest waiting first.
	Due(ctx context.Context, now time.Time, limit int) ([]Message, error)
	// List returns the messages that match f, newest first.
	List(ctx context.Context, f Filter) ([]Message, error)
}

// Filter selects messages; its zero value selects all of them.
type Filter struct {
	ReservationID string
	Status        Status
	Limit         int // 0: no limit
}

// Match reports whether m is selected by f (ignoring Limit).
func (f Filter) Match(m Message) bool {
	return (f.ReservationID == "" || m.ReservationID == f.ReservationID) &&
		(f.Status == "" || m.Status == f.Status)
}

// Visit is what the notice service remembers of a reservation between its
// events: enough to send the day-before reminder.
type Visit struct {
	ReservationID string
	Pet           string
	To            Phone
	Locale        Locale
	Slot          time.Time
	Status        string               // the reservation's status: booked, checked_in, cancelled, ...
	BookedAt      time.Time            // when it was placed or last rescheduled
	Position      projections.Position // of the event this state is as of
}

// VisitStore remembers visits for the reminders.
type VisitStore interface {
	// PutVisit records v unless the recorded visit is already as of a later
	// position (a redelivered older event changes nothing).
	PutVisit(ctx context.Context, v Visit) error
	// BookedVisits returns the visits still booked whose slot is in [from, to).
	BookedVisits(ctx context.Context, from, to time.Time) ([]Visit, error)
}

// SortNewestFirst orders messages by creation time, newest first (ties by ID).
func SortNewestFirst(ms []Message) {
	slices.SortFunc(ms, func(a, b Message) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
}

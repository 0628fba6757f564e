// Package notice tells customers about their reservations: it renders a
// message for every change of a reservation (and for an issued invoice and
// the day-before reminder), records it with its delivery attempts, and
// delivers it at least once through a channel (a log line or a signed
// webhook), retrying failed sends with backoff until they are sent or dead.
//
// It is isolated from the core: the command side never waits for it, and it
// catches up from its own checkpoint when it was down.
package notice

import (
	"errors"
	"time"
)

// Kind is what a message is about. Its values are stable: they are the
// webhook payload's type and are stored with every message.
type Kind string

// The kinds of message.
const (
	KindPlaced        Kind = "reservation.placed"
	KindRescheduled   Kind = "reservation.rescheduled"
	KindCancelled     Kind = "reservation.cancelled"
	KindCheckedIn     Kind = "reservation.checked_in"
	KindCompleted     Kind = "reservation.completed"
	KindNoShow        Kind = "reservation.no_show"
	KindInvoiceIssued Kind = "invoice.issued"
	KindReminder      Kind = "reservation.reminder"
	// The corrections a customer is told of: a contact change (told at the
	// new number, which from then on gets the visit's messages), a
	// discount, and a void bill (a corrected one follows as a new invoice).
	KindDetailsChanged Kind = "reservation.details_changed"
	KindDiscounted     Kind = "invoice.discounted"
	KindInvoiceVoided  Kind = "invoice.voided"
)

// Kinds lists every kind, in a stable order.
func Kinds() []Kind {
	return []Kind{KindPlaced, KindRescheduled, KindCancelled, KindCheckedIn,
		KindCompleted, KindNoShow, KindInvoiceIssued, KindReminder, KindDetailsChanged, KindDiscounted, KindInvoiceVoided}
}

// Locale is a message language.
type Locale string

// The supported languages; Korean is the default.
const (
	Korean  Locale = "ko"
	English Locale = "en"
)

// Facts are what a message may say: the least a customer needs to recognise
// their visit. It deliberately carries no customer name and no phone number.
type Facts struct {
	Kind     Kind
	Clinic   string    // the clinic's display name
	Pet      string    // the pet's name
	Slot     time.Time // the visit time (the new one for a reschedule)
	OldSlot  time.Time // the previous visit time, for a reschedule
	Reason   string    // the cancellation reason
	Amount   int64     // amount due in minor units, for an invoice; the discount, for a discount
	Balance  int64     // what is still owed after a discount, minor units
	Currency string    // ISO 4217 code of Amount and Balance
	Link     string    // the visit's status page (a capability link), or ""
}

// Status is where a message is in its delivery.
type Status string

// The delivery states. A pending message is waiting for its next attempt;
// the others are final, but a dead message can be re-queued.
const (
	StatusPending Status = "pending"
	StatusSent    Status = "sent"
	StatusDead    Status = "dead"
	// StatusExpired is a message recorded but never sent because its event
	// was older than the service's MaxAge when it was read (a first start
	// on a long history, or an outage longer than MaxAge): news that late
	// would mislead more than help.
	StatusExpired Status = "expired"
)

// Message is one notification to one customer, as recorded.
type Message struct {
	ID            string // the event ID that caused it, or a reminder's deterministic ID
	Kind          Kind
	ReservationID string
	Position      uint64 // the $all commit position of the event (0 for reminders)
	Locale        Locale
	To            Phone // whom to tell; logged only masked
	Text          string
	Facts         Facts
	CreatedAt     time.Time

	Status        Status
	Tries         int       // attempts since it was recorded or last re-queued
	Attempts      []Attempt // the most recent attempts, oldest first
	NextAttemptAt time.Time
	SentAt        time.Time
	LastError     string
}

// Attempt is one try at delivering a message.
type Attempt struct {
	At       time.Time
	Channel  string
	Duration time.Duration
	Error    string // empty when delivered
}

// Errors.
var (
	// ErrNotFound is returned for a message or visit that is not recorded.
	ErrNotFound = errors.New("notice: not found")
	// ErrRejected marks a send the receiver refused for good: retrying it
	// cannot succeed, so the message goes dead at once.
	ErrRejected = errors.New("notice: rejected by receiver")
	// ErrUnknownLocale is returned for a locale without templates.
	ErrUnknownLocale = errors.New("notice: unknown locale")
	// ErrUnknownKind is returned for a kind without a template.
	ErrUnknownKind = errors.New("notice: unknown kind")
)

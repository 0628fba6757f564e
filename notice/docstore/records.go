package docstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/projections"
)

// messageRecord is a message as stored; its JSON is the stored schema.
type messageRecord struct {
	ID            string          `json:"id"`
	Kind          string          `json:"kind"`
	ReservationID string          `json:"reservationId"`
	Position      uint64          `json:"position,omitempty"`
	Locale        string          `json:"locale"`
	To            string          `json:"to"`
	Text          string          `json:"text"`
	Facts         factsRecord     `json:"facts"`
	CreatedAt     time.Time       `json:"createdAt"`
	Status        string          `json:"status"`
	Tries         int             `json:"tries"`
	Attempts      []attemptRecord `json:"attempts,omitempty"`
	NextAttemptAt time.Time       `json:"nextAttemptAt"`
	SentAt        time.Time       `json:"sentAt,omitzero"`
	LastError     string          `json:"lastError,omitempty"`
}

type factsRecord struct {
	Clinic   string    `json:"clinic,omitempty"`
	Pet      string    `json:"pet,omitempty"`
	Slot     time.Time `json:"slot,omitzero"`
	OldSlot  time.Time `json:"oldSlot,omitzero"`
	Reason   string    `json:"reason,omitempty"`
	Amount   int64     `json:"amount,omitempty"`
	Currency string    `json:"currency,omitempty"`
	Link     string    `json:"link,omitempty"`
}

type attemptRecord struct {
	At       time.Time     `json:"at"`
	Channel  string        `json:"channel"`
	Duration time.Duration `json:"durationNs"`
	Error    string        `json:"error,omitempty"`
}

func fromMessage(m notice.Message) messageRecord {
	f := m.Facts
	r := messageRecord{
		ID: m.ID, Kind: string(m.Kind), ReservationID: m.ReservationID, Position: m.Position,
		Locale: string(m.Locale), To: string(m.To), Text: m.Text, CreatedAt: m.CreatedAt,
		Facts: factsRecord{Clinic: f.Clinic, Pet: f.Pet, Slot: f.Slot, OldSlot: f.OldSlot, Reason: f.Reason,
			Amount: f.Amount, Currency: f.Currency, Link: f.Link},
		Status: string(m.Status), Tries: m.Tries, NextAttemptAt: m.NextAttemptAt, SentAt: m.SentAt, LastError: m.LastError,
	}
	for _, a := range m.Attempts {
		r.Attempts = append(r.Attempts, attemptRecord{At: a.At, Channel: a.Channel, Duration: a.Duration, Error: a.Error})
	}
	return r
}

func decodeMessage(d projections.Doc) (notice.Message, error) {
	var r messageRecord
	if err := json.Unmarshal(d.Body, &r); err != nil {
		return notice.Message{}, fmt.Errorf("message %s: %w", d.ID, err)
	}
	f := r.Facts
	m := notice.Message{
		ID: r.ID, Kind: notice.Kind(r.Kind), ReservationID: r.ReservationID, Position: r.Position,
		Locale: notice.Locale(r.Locale), To: notice.Phone(r.To), Text: r.Text, CreatedAt: r.CreatedAt,
		Facts: notice.Facts{Kind: notice.Kind(r.Kind), Clinic: f.Clinic, Pet: f.Pet, Slot: f.Slot, OldSlot: f.OldSlot,
			Reason: f.Reason, Amount: f.Amount, Currency: f.Currency, Link: f.Link},
		Status: notice.Status(r.Status), Tries: r.Tries, NextAttemptAt: r.NextAttemptAt, SentAt: r.SentAt,
		LastError: r.LastError,
	}
	for _, a := range r.Attempts {
		m.Attempts = append(m.Attempts, notice.Attempt{At: a.At, Channel: a.Channel, Duration: a.Duration, Error: a.Error})
	}
	return m, nil
}

// visitRecord is a visit as stored.
type visitRecord struct {
	ReservationID string    `json:"reservationId"`
	Pet           string    `json:"pet"`
	To            string    `json:"to"`
	Locale        string    `json:"locale"`
	Slot          time.Time `json:"slot"`
	Status        string    `json:"status"`
	BookedAt      time.Time `json:"bookedAt,omitzero"`
}

func fromVisit(v notice.Visit) visitRecord {
	return visitRecord{ReservationID: v.ReservationID, Pet: v.Pet, To: string(v.To), Locale: string(v.Locale),
		Slot: v.Slot, Status: v.Status, BookedAt: v.BookedAt}
}

func (r visitRecord) visit(p projections.Position) notice.Visit {
	return notice.Visit{ReservationID: r.ReservationID, Pet: r.Pet, To: notice.Phone(r.To), Locale: notice.Locale(r.Locale),
		Slot: r.Slot, Status: r.Status, BookedAt: r.BookedAt, Position: p}
}

// messageDoc is the stored document of m. Its position guard is the
// event's commit position, so a second write of a message from the same
// event changes nothing.
func messageDoc(m notice.Message) (projections.Doc, error) {
	body, err := json.Marshal(fromMessage(m))
	if err != nil {
		return projections.Doc{}, fmt.Errorf("message %s: %w", m.ID, err)
	}
	return projections.Doc{
		ID:       m.ID,
		Position: projections.Position{Commit: m.Position, Prepare: m.Position},
		Keys:     map[string]string{keyAll: keyAll, keyReservation: m.ReservationID, keyStatus: string(m.Status)},
		Body:     body,
	}, nil
}

// visitDoc is the stored document of v, guarded by its event's position.
func visitDoc(v notice.Visit) (projections.Doc, error) {
	body, err := json.Marshal(fromVisit(v))
	if err != nil {
		return projections.Doc{}, fmt.Errorf("visit %s: %w", v.ReservationID, err)
	}
	return projections.Doc{
		ID:       v.ReservationID,
		Position: v.Position,
		Keys:     map[string]string{keyDay: v.Slot.UTC().Format(time.DateOnly)},
		Body:     body,
	}, nil
}

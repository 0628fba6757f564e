package webhook

import (
	"time"

	"github.com/vetclinic/clinic/notice"
)

// Payload is the JSON body of a webhook, in the Standard Webhooks shape:
// a type, a timestamp and the data.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is what a gateway needs to tell the customer: whom (the full phone
// number, which is why it travels only in signed requests and never in logs),
// the rendered text, and the facts it was rendered from.
type Data struct {
	MessageID     string     `json:"messageId"`
	ReservationID string     `json:"reservationId"`
	Position      uint64     `json:"position,omitempty"`
	Locale        string     `json:"locale"`
	To            string     `json:"to"`
	Text          string     `json:"text"`
	Pet           string     `json:"pet,omitempty"`
	Slot          *time.Time `json:"slot,omitempty"`
	OldSlot       *time.Time `json:"oldSlot,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	Amount        *Amount    `json:"amount,omitempty"`
	StatusURL     string     `json:"statusUrl,omitempty"` // the visit's status page, a capability link
}

// Amount is money in minor units.
type Amount struct {
	Value    int64  `json:"value"`
	Currency string `json:"currency"`
}

// NewPayload returns the payload for m. It depends only on m, so every
// attempt at one message sends the same body.
func NewPayload(m notice.Message) Payload {
	f := m.Facts
	d := Data{
		MessageID:     m.ID,
		ReservationID: m.ReservationID,
		Position:      m.Position,
		Locale:        string(m.Locale),
		To:            string(m.To),
		Text:          m.Text,
		Pet:           f.Pet,
		Slot:          timePtr(f.Slot),
		OldSlot:       timePtr(f.OldSlot),
		Reason:        f.Reason,
		StatusURL:     f.Link,
	}
	if m.Kind == notice.KindInvoiceIssued {
		d.Amount = &Amount{Value: f.Amount, Currency: f.Currency}
	}
	return Payload{Type: string(m.Kind), Timestamp: m.CreatedAt.UTC(), Data: d}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

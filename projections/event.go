package projections

import (
	"encoding/json"
	"time"
)

// Event is one recorded event as subscribers see it.
type Event struct {
	ID       string
	Type     string
	Stream   string
	Revision uint64 // the event's number in its stream
	Position Position
	Created  time.Time
	Data     []byte
	Metadata []byte
	// Decoded is what the subscriber's Decode made of the event, done on
	// the subscription's reader goroutine so that decoding overlaps the
	// folds and commits; nil when there is no Decode or it failed.
	Decoded any `json:"-"`
}

// Actor returns who caused the event: the "by" of its metadata, where the
// command side records the caller (docs/events.md), else fallback (the
// event's own "by"), so an audit trail names someone even for events
// written without metadata.
func (e Event) Actor(fallback string) string {
	var m struct {
		By string `json:"by"`
	}
	if len(e.Metadata) > 0 && json.Unmarshal(e.Metadata, &m) == nil && m.By != "" {
		return m.By
	}
	return fallback
}

package projections

import "time"

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

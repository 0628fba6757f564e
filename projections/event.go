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
}

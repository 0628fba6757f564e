package projections

import (
	"errors"
	"fmt"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/events"
)

// ClinicFilter selects the clinic's streams on $all.
func ClinicFilter() Filter { return Filter{StreamPrefixes: events.StreamPrefixes()} }

// DomainEvent turns a recorded event into a domain event for a read
// model's Handle, using what DecodeAhead made of it when it can; ok is
// false for a type this build does not know (to be skipped, not failed).
func DomainEvent(ev Event) (domain.Event, bool, error) {
	if d, ok := ev.Decoded.(domain.Event); ok {
		return d, true, nil
	}
	d, err := events.Decode(ev.Type, ev.Data)
	if errors.Is(err, events.ErrUnknownType) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("decode %s %s: %w", ev.Type, ev.ID, err)
	}
	return d, true, nil
}

// DecodeAhead decodes a domain event, as a read model's Subscriber.Decode.
func DecodeAhead(ev Event) (any, error) { return events.Decode(ev.Type, ev.Data) }

// IgnoreAllBut returns every stored event type not in read, each with
// why, for a read model's list of the types it does not fold: a read
// model that reads some aggregates' streams ignores the others' events,
// while a type of the streams it reads stays to be folded or ignored
// explicitly.
func IgnoreAllBut(read []string, why string) map[string]string {
	out := map[string]string{}
	for _, t := range events.Types() {
		out[t] = why
	}
	for _, t := range read {
		delete(out, t)
	}
	return out
}

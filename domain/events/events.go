// Package events decodes any stored clinic event, whatever its aggregate.
// Readers (projections, notices) use it on events from $all:
//
//	ev, err := events.Decode(recorded.EventType, recorded.Data)
//	switch e := ev.(type) {
//	case reservation.Placed: ...
//	}
//
// Old event shapes, should any ever change, are upcast here, in one place.
package events

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// ErrUnknownType: the event type is not one of Types (another writer's
// event, or a newer build's): readers skip it.
var ErrUnknownType = errors.New("events: unknown event type")

// Types lists every stored event type name.
func Types() []string {
	var out []string
	out = append(out, schedule.Types()...)
	out = append(out, reservation.Types()...)
	out = append(out, medicalrecord.Types()...)
	out = append(out, invoice.Types()...)
	return out
}

// StreamPrefixes lists the prefixes of every clinic stream, for a
// server-side $all filter.
func StreamPrefixes() []string {
	return []string{schedule.StreamPrefix, reservation.StreamPrefix, medicalrecord.StreamPrefix, invoice.StreamPrefix}
}

// Decode returns the event struct (a value, not a pointer) stored as
// eventType with JSON data. Errors: ErrUnknownType, or a JSON error.
func Decode(eventType string, data []byte) (domain.Event, error) {
	var decode func(string, []byte) (domain.Event, error)
	switch {
	case isOne(eventType, schedule.Types()):
		decode = schedule.Decode
	case isOne(eventType, reservation.Types()):
		decode = reservation.Decode
	case isOne(eventType, medicalrecord.Types()):
		decode = medicalrecord.Decode
	case isOne(eventType, invoice.Types()):
		decode = invoice.Decode
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, eventType)
	}
	return decode(eventType, data)
}

func isOne(t string, types []string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// StreamOf splits a clinic stream name into its prefix ("reservation-")
// and the rest (an ID, or "<doctorID>-<date>" for a schedule).
func StreamOf(stream string) (prefix, rest string, ok bool) {
	for _, p := range StreamPrefixes() {
		if strings.HasPrefix(stream, p) {
			return p, stream[len(p):], true
		}
	}
	return "", "", false
}

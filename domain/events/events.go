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
// eventType with JSON data. Errors: ErrUnknownType, or a JSON error. It
// allocates nothing beyond the event itself (projections call it for every
// event they replay).
func Decode(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case schedule.TypeDayOpened, schedule.TypeDayChanged, schedule.TypeDayClosed, schedule.TypeSlotBooked,
		schedule.TypeSlotReleased:
		return schedule.Decode(eventType, data)
	case reservation.TypePlaced, reservation.TypeRescheduled, reservation.TypeCancelled, reservation.TypeCheckedIn,
		reservation.TypeCompleted, reservation.TypeNoShow, reservation.TypeCorrected:
		return reservation.Decode(eventType, data)
	case medicalrecord.TypeOpened, medicalrecord.TypeDiagnosisRecorded, medicalrecord.TypeTreatmentsAdded,
		medicalrecord.TypePrescriptionsAdded, medicalrecord.TypeFinalized, medicalrecord.TypeAddendumAdded,
		medicalrecord.TypeVoided, medicalrecord.TypeVisitTimeChanged, medicalrecord.TypeLineRemoved,
		medicalrecord.TypeLineCorrected, medicalrecord.TypeReopened, medicalrecord.TypePatientCorrected:
		return medicalrecord.Decode(eventType, data)
	case invoice.TypeIssued, invoice.TypePaymentRecorded, invoice.TypePaymentRefunded, invoice.TypeDiscountGranted,
		invoice.TypeVoided, invoice.TypeCustomerChanged:
		return invoice.Decode(eventType, data)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownType, eventType)
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

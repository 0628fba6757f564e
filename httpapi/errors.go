package httpapi

import (
	"errors"
	"net/http"
	"sort"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// errorKind maps a store or command sentinel to its problem kind.
type errorKind struct {
	err  error
	kind problemKind
}

// errorKinds is the table problemFor consults for errors that are not
// domain errors, first match wins.
func errorKinds() []errorKind {
	return []errorKind{
		{commands.ErrUnavailable, kindUnavailable},
		{commands.ErrStale, kindStale},
		{commands.ErrConcurrency, problemKind{"concurrent-update", http.StatusConflict, "Someone else changed this at the same moment; try again"}},
		{money.ErrCurrencyMismatch, problemKind{"money.currency_mismatch", http.StatusUnprocessableEntity, "The currency does not match the invoice's"}},
		{money.ErrInvalidCurrency, problemKind{"money.invalid_currency", http.StatusUnprocessableEntity, "The currency must be an ISO 4217 code"}},
		{money.ErrOverflow, problemKind{"money.overflow", http.StatusUnprocessableEntity, "The amount is too large"}},
	}
}

// domainProblem maps a *domain.Error in err's chain: its Code is the stable
// problem type and its Kind the status.
func domainProblem(err error) (problem, bool) {
	var de *domain.Error
	if !errors.As(err, &de) {
		return problem{}, false
	}
	status := http.StatusConflict
	switch de.Kind {
	case domain.KindNotFound:
		status = http.StatusNotFound
	case domain.KindValidation:
		status = http.StatusUnprocessableEntity
	}
	p := problem{Type: problemKind{slug: de.Code}.uri(), Title: de.Message, Status: status, Detail: err.Error()}
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		p.Type, p.Title, p.Detail = kindValidation.uri(), kindValidation.title, "see errors for the failing fields"
		keys := make([]string, 0, len(ve.Fields))
		for k := range ve.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p.Errors = append(p.Errors, fieldError{Field: k, Message: ve.Fields[k]})
		}
	}
	return p, true
}

// domainErrors lists the domain's errors a command can return, for the
// /problems pages. Mapping does not depend on it: any *domain.Error maps by
// its Kind and Code.
func domainErrors() []*domain.Error {
	return []*domain.Error{
		clinic.ErrUnknownDoctor, clinic.ErrUnknownFee,
		schedule.ErrDayNotOpen, schedule.ErrNotWorkingDay, schedule.ErrNoSuchSlot, schedule.ErrSlotTaken,
		schedule.ErrSlotPast, schedule.ErrStrandBookings, schedule.ErrHasBookings,
		reservation.ErrNotFound, reservation.ErrAlreadyPlaced, reservation.ErrCancelled, reservation.ErrCompleted,
		reservation.ErrCheckedIn, reservation.ErrNoShow, reservation.ErrNotCheckedIn,
		medicalrecord.ErrNotFound, medicalrecord.ErrAlreadyOpened, medicalrecord.ErrFinalized, medicalrecord.ErrVoided,
		medicalrecord.ErrNoDiagnosis, medicalrecord.ErrNotStarted,
		invoice.ErrNotFound, invoice.ErrAlreadyIssued, invoice.ErrOverpayment, invoice.ErrRefundTooLarge,
	}
}

// allKinds lists every problem kind, for the /problems pages.
func allKinds() []problemKind {
	ks := []problemKind{kindMalformed, kindUnauthenticated, kindForbidden, kindNotFound, kindMethod, kindTooLarge,
		kindMediaType, kindStale, kindValidation, kindUnavailable, kindInternal}
	for _, m := range errorKinds() {
		ks = append(ks, m.kind)
	}
	for _, e := range domainErrors() {
		if p, ok := domainProblem(e); ok {
			ks = append(ks, problemKind{slug: e.Code, status: p.Status, title: p.Title})
		}
	}
	return ks
}

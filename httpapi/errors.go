package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"sort"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/admin"
)

// errorKind maps a store or command sentinel to its problem kind.
type errorKind struct {
	err  error
	kind problemKind
}

// errorKinds is the table problemFor consults for the errors that are not
// domain errors (the command side's, projection admin's); first match wins.
func errorKinds() []errorKind {
	return []errorKind{
		{commands.ErrCannotWrite, kindCannotWrite}, // before ErrUnavailable, which it also matches
		{commands.ErrUnavailable, kindUnavailable},
		{commands.ErrStale, kindStale},
		{commands.ErrIdempotencyKeyReused, kindKeyReused},
		{commands.ErrConcurrency, problemKind{"concurrent-update", http.StatusConflict, "Someone else changed this at the same moment; try again"}},
		{admin.ErrUnknownProjection, problemKind{"unknown-projection", http.StatusNotFound, "No projection of this name"}},
		{admin.ErrNoRebuild, problemKind{"no-rebuild", http.StatusNotFound, "No rebuild of this projection has run in this process"}},
		{projections.ErrRebuildRunning, problemKind{"rebuild-running", http.StatusConflict, "A rebuild of this projection is already running"}},
		{admin.ErrNotRunning, kindUnavailable},
	}
}

// domainErrors is every domain error, from the lists the domain packages
// keep beside their sentinels. Each maps by its Kind and Code, so a new
// error needs no row here; a new package needs its list added (a test walks
// domain/ for errors that are in no list).
func domainErrors() []*domain.Error {
	return slices.Concat(clinic.Errors(), schedule.Errors(), reservation.Errors(), medicalrecord.Errors(),
		invoice.Errors(), money.Errors())
}

// kindStatus returns the status of a domain error of kind k, and false for
// a kind it does not know (domain.Kinds lists those it must).
func kindStatus(k domain.Kind) (int, bool) {
	switch k {
	case domain.KindConflict:
		return http.StatusConflict, true
	case domain.KindNotFound:
		return http.StatusNotFound, true
	case domain.KindValidation:
		return http.StatusUnprocessableEntity, true
	}
	return http.StatusConflict, false
}

// problemTitle is the title of the problem for e: its message, except for
// the errors whose message is written for a log line rather than a person.
func problemTitle(e *domain.Error) string {
	switch e {
	case money.ErrCurrencyMismatch:
		return "The currency does not match the invoice's"
	case money.ErrInvalidCurrency:
		return "The currency must be an ISO 4217 code"
	case money.ErrOverflow:
		return "The amount is too large"
	}
	return e.Message
}

// domainProblem maps a *domain.Error in err's chain: its Code is the stable
// problem type and its Kind the status.
func domainProblem(err error) (problem, bool) {
	var de *domain.Error
	if !errors.As(err, &de) {
		return problem{}, false
	}
	status, _ := kindStatus(de.Kind)
	p := problem{Type: problemKind{slug: de.Code}.uri(), Title: problemTitle(de), Status: status, Detail: err.Error()}
	if fields := validationFields(err); fields != nil {
		p.Type, p.Title, p.Detail = kindValidation.uri(), kindValidation.title, "see errors for the failing fields"
		p.Errors = fields
	}
	return p, true
}

// validationFields lists the fields of a *domain.ValidationError in err's
// chain, by name; nil when there is none.
func validationFields(err error) []fieldError {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	keys := make([]string, 0, len(ve.Fields))
	for k := range ve.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]fieldError, 0, len(keys))
	for _, k := range keys {
		out = append(out, fieldError{Field: k, Message: ve.Fields[k]})
	}
	return out
}

// allKinds lists every problem kind, for the /problems pages.
func allKinds() []problemKind {
	ks := []problemKind{kindMalformed, kindUnauthenticated, kindForbidden, kindNotFound, kindMethod, kindLinkExpired, kindTooLarge,
		kindHeaderTooLarge, kindTooMany, kindMediaType, kindStale, kindValidation, kindUnavailable, kindNotReady, kindInternal}
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

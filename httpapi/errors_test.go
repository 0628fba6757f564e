package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

func TestProblemFor(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	ve := domain.Validation()
	ve.Add("slotMinutes", "must be 5 to 480")
	ve.Add("capacity", "must be 1 to 1000")
	for name, c := range map[string]struct {
		err    error
		status int
		typ    string
		fields []fieldError
	}{
		"slot taken":    {fmt.Errorf("place: %w", schedule.ErrSlotTaken), http.StatusConflict, "/problems/schedule.slot_taken", nil},
		"not found":     {fmt.Errorf("cancel: %w", reservation.ErrNotFound), http.StatusNotFound, "/problems/reservation.not_found", nil},
		"wrong state":   {reservation.ErrCancelled, http.StatusConflict, "/problems/reservation.cancelled", nil},
		"validation":    {fmt.Errorf("open day: %w", ve), http.StatusUnprocessableEntity, kindValidation.uri(), []fieldError{{"capacity", "must be 1 to 1000"}, {"slotMinutes", "must be 5 to 480"}}},
		"currency":      {fmt.Errorf("pay: %w", money.ErrCurrencyMismatch), http.StatusUnprocessableEntity, "/problems/money.currency_mismatch", nil},
		"bad json":      {malformed("x"), http.StatusBadRequest, kindMalformed.uri(), nil},
		"unknown error": {errors.New("disk on fire"), http.StatusInternalServerError, kindInternal.uri(), nil},
	} {
		p := s.problemFor(c.err)
		if p.Status != c.status || p.Type != c.typ || p.Title == "" {
			t.Errorf("%s: got %d %s %q, want %d %s", name, p.Status, p.Type, p.Title, c.status, c.typ)
		}
		if diff := cmp.Diff(c.fields, p.Errors); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", name, diff)
		}
		if p.Status == http.StatusInternalServerError && p.Detail != "" {
			t.Errorf("%s: a 500 leaks its detail %q", name, p.Detail)
		}
	}
}

func TestProblemPagesForDomainErrors(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	seen := map[string]bool{}
	for _, e := range domainErrors() {
		if seen[e.Code] {
			t.Errorf("code %s listed twice", e.Code)
		}
		seen[e.Code] = true
		p := s.problemFor(fmt.Errorf("wrapped: %w", e))
		code, _, body := call(t, s, "GET", p.Type, "", "")
		if code != http.StatusOK || !strings.Contains(string(body), e.Message) {
			t.Errorf("%s: page %s = %d %s", e.Code, p.Type, code, body)
		}
	}
}

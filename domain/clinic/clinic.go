// Package clinic is the configuration of one animal hospital: its doctors
// and the days they work, its fee schedule and its time zone. It is data
// the clinic configures, never code.
package clinic

import (
	"fmt"
	"strings"
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/money"
)

// DefaultTimeZone is the zone of a clinic that names none.
const DefaultTimeZone = "Asia/Seoul"

// ErrUnknownDoctor: no doctor with that ID works at the clinic.
var ErrUnknownDoctor = domain.NotFound("clinic.unknown_doctor", "no such doctor")

// ErrUnknownFee: the fee schedule has no such code.
var ErrUnknownFee = domain.Invalid("clinic.unknown_fee", "no such fee code")

// Errors lists the errors of this package, as the aggregates list theirs,
// so that an adapter can map every one of them.
func Errors() []*domain.Error { return []*domain.Error{ErrUnknownDoctor, ErrUnknownFee} }

// Clinic is one clinic's configuration.
type Clinic struct {
	Name     string
	Location *time.Location // the zone of opening hours and dates
	Currency string         // ISO 4217; every fee is in it
	Doctors  []Doctor
	Fees     FeeSchedule
}

// Doctor is a veterinarian who can be booked.
type Doctor struct {
	ID       string // stable ID used in streams and URLs, e.g. "dr-kim"
	Name     string
	Weekdays []time.Weekday // the days of the week the doctor works
}

// WorksOn reports whether the doctor works on weekday d.
func (d Doctor) WorksOn(w time.Weekday) bool {
	for _, x := range d.Weekdays {
		if x == w {
			return true
		}
	}
	return false
}

// ParseWeekday reads a day of the week in English, full or in three letters
// and in any case ("monday", "Mon"), as clinic files and the catalogue
// write them. It reports false for anything else.
func ParseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		full := strings.ToLower(d.String())
		if s == full || s == full[:3] {
			return d, true
		}
	}
	return 0, false
}

// Fee is one priced item of the fee schedule.
type Fee struct {
	Code        string // e.g. "CONSULT"
	Description string
	Price       money.Money
}

// FeeSchedule maps a fee code to its fee.
type FeeSchedule map[string]Fee

// Lookup returns the fee for code.
func (f FeeSchedule) Lookup(code string) (Fee, bool) {
	fee, ok := f[code]
	return fee, ok
}

// Doctor returns the doctor with id.
func (c *Clinic) Doctor(id string) (Doctor, bool) {
	for _, d := range c.Doctors {
		if d.ID == id {
			return d, true
		}
	}
	return Doctor{}, false
}

// Validate checks the configuration; it returns a *domain.ValidationError
// naming each bad field (for instance "doctors[1].id").
func (c *Clinic) Validate() error {
	v := domain.Validation()
	v.Check(c.Name != "", "name", "required")
	v.Check(c.Location != nil, "timeZone", "required")
	v.Check(money.ValidCurrency(c.Currency), "currency", "must be an ISO 4217 code")
	v.Check(len(c.Doctors) > 0, "doctors", "at least one doctor")
	seen := map[string]bool{}
	for i, d := range c.Doctors {
		f := fmt.Sprintf("doctors[%d]", i)
		v.Check(ValidDoctorID(d.ID), f+".id", fmt.Sprintf("1-%d letters, digits, '-' or '_'", MaxDoctorIDBytes))
		v.Check(!seen[d.ID], f+".id", "duplicate")
		seen[d.ID] = true
		v.Check(d.Name != "", f+".name", "required")
		v.Check(len(d.Weekdays) > 0, f+".weekdays", "at least one working day")
		for _, w := range d.Weekdays {
			v.Check(w >= time.Sunday && w <= time.Saturday, f+".weekdays", "not a weekday")
		}
	}
	for code, fee := range c.Fees {
		f := "fees." + code
		v.Check(code != "" && fee.Code == code, f+".code", "must match its key")
		v.Check(fee.Description != "", f+".description", "required")
		v.Check(fee.Price.Currency == c.Currency, f+".price.currency", "must be the clinic's currency")
		v.Check(fee.Price.Amount >= 0, f+".price.amount", "must not be negative")
	}
	return v.Err()
}

// MaxDoctorIDBytes bounds a doctor's ID.
const MaxDoctorIDBytes = 64

// ValidDoctorID reports whether id can name a doctor: 1 to MaxDoctorIDBytes
// ASCII letters, digits, '-' or '_' (it becomes part of stream names and URL
// paths).
func ValidDoctorID(id string) bool {
	if len(id) == 0 || len(id) > MaxDoctorIDBytes {
		return false
	}
	for _, c := range id {
		ok := c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

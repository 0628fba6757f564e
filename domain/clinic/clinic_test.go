package clinic

import (
	"errors"
	"testing"
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/money"
)

func example(t *testing.T) *Clinic {
	t.Helper()
	loc, err := time.LoadLocation(DefaultTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	return &Clinic{
		Name: "Happy Paws", Location: loc, Currency: "KRW",
		Doctors: []Doctor{{ID: "dr-kim", Name: "Kim", Weekdays: []time.Weekday{time.Monday, time.Tuesday}}},
		Fees:    FeeSchedule{"CONSULT": {Code: "CONSULT", Description: "Consultation", Price: money.KRW(15000)}},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := example(t).Validate(); err != nil {
		t.Fatalf("valid clinic: %v", err)
	}
	c := example(t)
	c.Doctors = append(c.Doctors, Doctor{ID: "dr-kim", Name: "", Weekdays: nil}, Doctor{ID: "bad id", Name: "X", Weekdays: []time.Weekday{1}})
	c.Fees["XRAY"] = Fee{Code: "XRAY", Description: "X-ray", Price: money.Money{Amount: 1, Currency: "USD"}}
	err := c.Validate()
	if !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("err = %v, want validation", err)
	}
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("not a ValidationError: %v", err)
	}
	for _, f := range []string{"doctors[1].id", "doctors[1].name", "doctors[1].weekdays", "doctors[2].id", "fees.XRAY.price.currency"} {
		if _, ok := v.Fields[f]; !ok {
			t.Errorf("field %s not reported in %v", f, v.Fields)
		}
	}
	if got, want := v.Fields["doctors[2].id"], "1-64 letters, digits, '-' or '_'"; got != want {
		t.Errorf("doctors[2].id: %q, want %q", got, want)
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	c := example(t)
	d, ok := c.Doctor("dr-kim")
	if !ok || !d.WorksOn(time.Monday) || d.WorksOn(time.Sunday) {
		t.Fatalf("Doctor(dr-kim) = %+v, %v", d, ok)
	}
	if _, ok := c.Doctor("dr-lee"); ok {
		t.Fatal("unknown doctor found")
	}
	if f, ok := c.Fees.Lookup("CONSULT"); !ok || f.Price != money.KRW(15000) {
		t.Fatalf("Lookup = %+v, %v", f, ok)
	}
}

func TestParseWeekday(t *testing.T) {
	for in, want := range map[string]time.Weekday{"mon": time.Monday, "Monday": time.Monday, " SUN ": time.Sunday, "sat": time.Saturday} {
		if got, ok := ParseWeekday(in); !ok || got != want {
			t.Errorf("ParseWeekday(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "mo", "weekday"} {
		if _, ok := ParseWeekday(in); ok {
			t.Errorf("ParseWeekday(%q) accepted", in)
		}
	}
}

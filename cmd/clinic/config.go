package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // the clinic's zone must load on hosts without a zoneinfo database

	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/money"
)

// exampleClinic is the clinic `clinic serve` runs without --config.
//
//go:embed example-clinic.json
var exampleClinic []byte

// clinicFile is the JSON shape of a clinic configuration file. It is kept
// here, beside its only reader, so the domain carries no JSON tags.
type clinicFile struct {
	Name     string `json:"name"`
	TimeZone string `json:"timeZone"`
	Currency string `json:"currency"`
	Doctors  []struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		WorkingDays []string `json:"workingDays"`
	} `json:"doctors"`
	Fees []struct {
		Code        string `json:"code"`
		Description string `json:"description"`
		Price       int64  `json:"price"`
		Currency    string `json:"currency"`
	} `json:"fees"`
}

// loadClinic reads the clinic configuration from path, or the embedded
// example when path is "". It returns an error naming each bad field.
func loadClinic(path string) (*clinic.Clinic, error) {
	data := exampleClinic
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read clinic config: %w", err)
		}
	}
	c, err := parseClinic(data)
	if err != nil {
		name := path
		if name == "" {
			name = "embedded example"
		}
		return nil, fmt.Errorf("clinic config %s: %w", name, err)
	}
	return c, nil
}

func parseClinic(data []byte) (*clinic.Clinic, error) {
	var f clinicFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if f.TimeZone == "" {
		f.TimeZone = clinic.DefaultTimeZone
	}
	if f.Currency == "" {
		f.Currency = money.DefaultCurrency
	}
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("timeZone %q: %w", f.TimeZone, err)
	}
	c := &clinic.Clinic{Name: f.Name, Location: loc, Currency: f.Currency, Fees: clinic.FeeSchedule{}}
	for i, d := range f.Doctors {
		doc := clinic.Doctor{ID: d.ID, Name: d.Name}
		for _, w := range d.WorkingDays {
			wd, ok := clinic.ParseWeekday(w)
			if !ok {
				return nil, fmt.Errorf("doctors[%d].workingDays: %q is not a day of the week", i, w)
			}
			doc.Weekdays = append(doc.Weekdays, wd)
		}
		c.Doctors = append(c.Doctors, doc)
	}
	for i, fee := range f.Fees {
		if _, dup := c.Fees[fee.Code]; dup {
			return nil, fmt.Errorf("fees[%d].code: %q appears twice", i, fee.Code)
		}
		cur := fee.Currency
		if cur == "" {
			cur = c.Currency
		}
		c.Fees[fee.Code] = clinic.Fee{Code: fee.Code, Description: fee.Description, Price: money.Money{Amount: fee.Price, Currency: cur}}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

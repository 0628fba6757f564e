package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleClinicLoads(t *testing.T) {
	t.Parallel()
	c, err := loadClinic("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Location.String() != "Asia/Seoul" || c.Currency != "KRW" {
		t.Errorf("zone %v currency %s", c.Location, c.Currency)
	}
	kim, ok := c.Doctor("dr-kim")
	if !ok || !kim.WorksOn(time.Tuesday) || kim.WorksOn(time.Sunday) {
		t.Errorf("dr-kim = %+v, %v", kim, ok)
	}
	if fee, ok := c.Fees.Lookup("CONSULT"); !ok || fee.Price.Amount <= 0 {
		t.Errorf("CONSULT = %+v, %v", fee, ok)
	}
}

func TestClinicConfigErrors(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ json, want string }{
		"unknown field":  {`{"name":"x","doctorz":[]}`, "doctorz"},
		"bad zone":       {`{"name":"x","timeZone":"Mars/Olympus"}`, "Mars/Olympus"},
		"bad weekday":    {`{"name":"x","doctors":[{"id":"d","name":"D","workingDays":["someday"]}]}`, "someday"},
		"no doctors":     {`{"name":"x","doctors":[]}`, "doctors"},
		"bad doctor id":  {`{"name":"x","doctors":[{"id":"d r","name":"D","workingDays":["mon"]}]}`, "doctors[0].id"},
		"dup fee":        {`{"name":"x","doctors":[{"id":"d","name":"D","workingDays":["mon"]}],"fees":[{"code":"A","description":"a","price":1},{"code":"A","description":"a","price":1}]}`, "twice"},
		"negative fee":   {`{"name":"x","doctors":[{"id":"d","name":"D","workingDays":["mon"]}],"fees":[{"code":"A","description":"a","price":-1}]}`, "amount"},
		"other currency": {`{"name":"x","doctors":[{"id":"d","name":"D","workingDays":["mon"]}],"fees":[{"code":"A","description":"a","price":1,"currency":"USD"}]}`, "currency"},
		"not json":       {`doctors: []`, "invalid"},
	} {
		path := filepath.Join(t.TempDir(), "clinic.json")
		if err := os.WriteFile(path, []byte(c.json), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadClinic(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, c.want)
		}
	}
	if _, err := loadClinic(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing config file was accepted")
	}
}

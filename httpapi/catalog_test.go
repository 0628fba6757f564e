package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/money"
)

func testClinic(t testing.TB) *clinic.Clinic {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	c := &clinic.Clinic{
		Name: "Test Clinic", Location: loc, Currency: "KRW",
		Doctors: []clinic.Doctor{
			{ID: "dr-kim", Name: "Dr. Kim", Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}},
			{ID: "dr-lee", Name: "Dr. Lee", Weekdays: []time.Weekday{time.Monday}},
		},
		Fees: clinic.FeeSchedule{
			"CONSULT": {Code: "CONSULT", Description: "Consultation", Price: money.KRW(15000)},
			"VACCINE": {Code: "VACCINE", Description: "Vaccine", Price: money.KRW(30000)},
			"RX-FILL": {Code: "RX-FILL", Description: "Dispensing", Price: money.KRW(5000)},
		},
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	s := New(Config{Verifier: a.verifier, Clinic: testClinic(t)})
	tok := a.token(t, "010-1234-5678", auth.RoleCustomer) // customers may read the catalogue

	code, _, body := call(t, s, "GET", "/api/v1/doctors", tok, "")
	var docs doctorsResponse
	if err := json.Unmarshal(body, &docs); code != http.StatusOK || err != nil {
		t.Fatalf("doctors: %d %s %v", code, body, err)
	}
	want := doctorsResponse{Clinic: "Test Clinic", TimeZone: "Asia/Seoul", Doctors: []doctorResponse{
		{ID: "dr-kim", Name: "Dr. Kim", WorkingDays: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
		{ID: "dr-lee", Name: "Dr. Lee", WorkingDays: []string{"mon"}},
	}}
	if diff := cmp.Diff(want, docs); diff != "" {
		t.Errorf("doctors (-want +got):\n%s", diff)
	}

	code, _, body = call(t, s, "GET", "/api/v1/fees", tok, "")
	var fees feesResponse
	if err := json.Unmarshal(body, &fees); code != http.StatusOK || err != nil {
		t.Fatalf("fees: %d %s %v", code, body, err)
	}
	wantFees := feesResponse{Currency: "KRW", Fees: []feeResponse{
		{"CONSULT", "Consultation", 15000, "KRW"}, {"RX-FILL", "Dispensing", 5000, "KRW"}, {"VACCINE", "Vaccine", 30000, "KRW"},
	}}
	if diff := cmp.Diff(wantFees, fees); diff != "" {
		t.Errorf("fees (-want +got):\n%s", diff)
	}
	if code, _, _ := call(t, s, "GET", "/api/v1/fees", "", ""); code != http.StatusUnauthorized {
		t.Errorf("fees without a token = %d, want 401", code)
	}
}

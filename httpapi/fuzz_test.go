package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// FuzzCommandRoutes sends arbitrary bodies and headers to every command
// route: whatever comes in, the answer is never a 5xx and always a JSON or
// problem+json body. Seeds run in every test run; explore with
//
//	go test -run '^$' -fuzz FuzzCommandRoutes ./httpapi
func FuzzCommandRoutes(f *testing.F) {
	store, err := esdb.Open(esdbtest.URL(f), esdb.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	loc, _ := time.LoadLocation("Asia/Seoul")
	day := time.Now().In(loc).AddDate(0, 0, 10).Format(time.DateOnly)
	cl := testClinic(f)
	a := newTestAuthTB(f)
	s := New(Config{Verifier: a.verifier, Clinic: cl, Commands: commands.New(store, cl, commands.Options{})})
	staff, err := a.issuer.Issue("nurse-kim", auth.RoleStaff, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	open := `{"opens":"09:00","closes":"18:00","slotMinutes":30,"capacity":3}`
	if code, _, body := call(f, s, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff, open); code != http.StatusOK {
		f.Fatalf("open day: %d %s", code, body)
	}
	_, _, body := call(f, s, "POST", "/api/v1/reservations", staff, placeBody("dr-kim", day+"T09:00:00+09:00"))
	var placed placeResponse
	if err := json.Unmarshal(body, &placed); err != nil {
		f.Fatalf("place: %s", body)
	}
	ids := map[string]string{"{res}": placed.ID.String(), "{rec}": placed.MedicalRecordID.String(), "{day}": day}
	routes := []string{
		"PUT /api/v1/doctors/dr-kim/days/{day}", "POST /api/v1/reservations",
		"POST /api/v1/reservations/{res}/reschedule", "POST /api/v1/reservations/{res}/cancel",
		"POST /api/v1/reservations/{res}/check-in", "POST /api/v1/reservations/{res}/complete",
		"POST /api/v1/reservations/{res}/no-show", "POST /api/v1/medical-records/{rec}/diagnosis",
		"POST /api/v1/medical-records/{rec}/treatments", "POST /api/v1/medical-records/{rec}/prescriptions",
		"POST /api/v1/medical-records/{rec}/finalize", "POST /api/v1/medical-records/{rec}/addenda",
		"POST /api/v1/invoices/{res}/payments", "POST /api/v1/invoices/{res}/refunds",
	}
	for i, seed := range []string{
		open, placeBody("dr-kim", day+"T09:30:00+09:00"), `{"slot":"` + day + `T10:00:00+09:00"}`, `{"reason":"x"}`,
		``, `{}`, `null`, `{"items":[{"code":"CONSULT","quantity":1}]}`, `{"findings":"a","diagnosis":"b"}`,
		`{"items":[{"drug":"d","dosage":"1","frequency":"f","days":-1}]}`, `{"text":"` + strings.Repeat("é", 100) + `"}`,
		`{"amount":9223372036854775807,"currency":"KRW","method":"card"}`, `{"amount":1,"currency":"krw","method":""}`,
		`{"slot":"` + day + `T10:00:00-25:00"}`, `{"opens":"09:00","closes":"09:05","slotMinutes":480,"capacity":1000}`,
	} {
		f.Add(uint8(i), seed, "")
		f.Add(uint8(i+3), seed, `"0"`)
	}
	f.Fuzz(func(t *testing.T, route uint8, body, ifMatch string) {
		r := routes[int(route)%len(routes)]
		for k, v := range ids {
			r = strings.ReplaceAll(r, k, v)
		}
		method, path, _ := strings.Cut(r, " ")
		code, hdr, resp := call(t, s, method, path, staff, body, "If-Match", ifMatch)
		if code >= 500 {
			t.Fatalf("%s %s %q (If-Match %q) = %d %s", method, path, body, ifMatch, code, resp)
		}
		if ct := hdr.Get("Content-Type"); !strings.Contains(ct, "json") || !json.Valid(resp) {
			t.Fatalf("%s %s %q = %d with %q body %q", method, path, body, code, ct, resp)
		}
	})
}

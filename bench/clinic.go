package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"syscall"
	"time"

	"github.com/vetclinic/clinic/domain/clinic"
)

// ClinicJSON is a clinic configuration with n doctors working every day, so
// n clients never share a doctor.
func ClinicJSON(n int) []byte {
	type doctor struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		WorkingDays []string `json:"workingDays"`
	}
	docs := make([]doctor, n)
	for i := range docs {
		docs[i] = doctor{fmt.Sprintf("bench-%02d", i), fmt.Sprintf("Dr. Bench %d", i), []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}}
	}
	data, _ := json.Marshal(map[string]any{
		"name": "Bench Clinic", "timeZone": clinic.DefaultTimeZone, "currency": "KRW", "doctors": docs,
		"fees": []map[string]any{{"code": "CONSULT", "description": "Consultation", "price": 15000}},
	})
	return data
}

// HTTPClient is a client whose connection pool fits clients concurrent
// callers, so the load measures bookings, not connection set-up.
func HTTPClient(clients int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
}

// ProcessCPU is the user and system CPU time this process has used.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

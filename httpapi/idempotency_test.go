package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vetclinic/clinic/auth"
)

// TestIdempotencyKeyReusedWithAnotherBody: the same caller, route and key
// with another body is 422 idempotency-key-reused and books nothing; the
// same body answers as the first time; another caller's identical key is
// its own.
func TestIdempotencyKeyReusedWithAnotherBody(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	f.openDay(t, "dr-kim", 1)
	key := []string{"Idempotency-Key", "booking-1"}
	first := f.place(t, f.slot("10:00"), key...)

	code, _, body := call(t, f.s, "POST", "/api/v1/reservations", f.staff, placeBody("dr-kim", f.slot("11:00")), key...)
	var p problem
	if code != http.StatusUnprocessableEntity || json.Unmarshal(body, &p) != nil || p.Type != "/problems/idempotency-key-reused" {
		t.Fatalf("same key, another slot: %d %s; want 422 /problems/idempotency-key-reused", code, body)
	}
	if !strings.Contains(p.Detail, "new Idempotency-Key") || strings.Contains(p.Detail, "reservation-") {
		t.Errorf("detail %q: want the rule, not the stream names", p.Detail)
	}
	// Spacing and member order do not make another request.
	same := `{ "reason":"vaccination", "slot":"` + f.slot("10:00") + `", "doctorId":"dr-kim",
		"pet":{"species":"dog","name":"Coco"}, "customer":{"phone":"010-1234-5678","name":"Jackson"} }`
	code, _, body = call(t, f.s, "POST", "/api/v1/reservations", f.staff, same, key...)
	var again placeResponse
	if code != http.StatusCreated || json.Unmarshal(body, &again) != nil || again != first {
		t.Fatalf("same key, same request: %d %s; want 201 %+v", code, body, first)
	}
	// 11:00 was never booked by the refused request: another caller books it under the same key.
	other := f.auth.token(t, "desk-park", auth.RoleStaff)
	code, _, body = call(t, f.s, "POST", "/api/v1/reservations", other, placeBody("dr-kim", f.slot("11:00")), key...)
	var theirs placeResponse
	if code != http.StatusCreated || json.Unmarshal(body, &theirs) != nil || theirs.ID == first.ID {
		t.Fatalf("another caller's same key: %d %s; want 201 with its own reservation", code, body)
	}
	// The same key on another route (cancelling the first visit) is another command.
	if code, _, body := call(t, f.s, "POST", "/api/v1/reservations/"+first.ID.String()+"/cancel", f.staff, "", key...); code != http.StatusOK {
		t.Fatalf("same key on the cancel route: %d %s, want 200", code, body)
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/schedule"
)

var _ CommandService = (*commands.Handler)(nil)

// fakeCommands answers the staff commands without an event store. A test
// sets the functions it needs; any other command panics (the nil embedded
// interface), which fails the test loudly.
type fakeCommands struct {
	CommandService
	place func(ctx context.Context, cmd commands.PlaceReservation) (commands.PlaceResult, error)
}

func (f *fakeCommands) PlaceReservation(ctx context.Context, cmd commands.PlaceReservation) (commands.PlaceResult, error) {
	return f.place(ctx, cmd)
}

// TestPlaceRouteOnFakeCommands: the place route turns the request into the
// command (caller, caller-scoped key, doctor, slot) and the result into 201
// with Location, ETag and the IDs; a domain refusal into problem+json. No
// event store runs.
func TestPlaceRouteOnFakeCommands(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	want := commands.PlaceResult{ReservationID: uuid.New(), MedicalRecordID: uuid.New(), Result: commands.Result{Revision: 0, Position: 42}}
	slot := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("KST", 9*3600))
	var got commands.PlaceReservation
	fake := &fakeCommands{place: func(_ context.Context, cmd commands.PlaceReservation) (commands.PlaceResult, error) {
		got = cmd
		if cmd.Reason == "taken" {
			return commands.PlaceResult{}, fmt.Errorf("place reservation: %w", schedule.ErrSlotTaken)
		}
		return want, nil
	}}
	s := New(Config{Verifier: a.verifier, Clinic: testClinic(t), Commands: fake})

	body := fmt.Sprintf(`{"customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},"doctorId":"dr-kim","slot":%q,"reason":"vaccination"}`, slot.Format(time.RFC3339))
	code, hdr, resp := call(t, s, "POST", "/api/v1/reservations", staff, body, "Idempotency-Key", "k-1")
	if code != http.StatusCreated {
		t.Fatalf("place: %d %s", code, resp)
	}
	if got.By != "nurse-kim" || got.IdempotencyKey != "nurse-kim\x00k-1" || got.DoctorID != "dr-kim" || !got.Slot.Equal(slot) ||
		got.Customer.Phone != "010-1234-5678" || got.Pet.Name != "Coco" {
		t.Fatalf("command %+v", got)
	}
	if loc := hdr.Get("Location"); loc != "/api/v1/reservations/"+want.ReservationID.String() {
		t.Fatalf("Location %q", loc)
	}
	if tag := hdr.Get("ETag"); tag != `"0"` {
		t.Fatalf("ETag %q", tag)
	}
	var pr placeResponse
	if err := json.Unmarshal(resp, &pr); err != nil || pr.ID != want.ReservationID || pr.MedicalRecordID != want.MedicalRecordID || pr.Position != 42 {
		t.Fatalf("body %s (%v)", resp, err)
	}

	taken := fmt.Sprintf(`{"customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},"doctorId":"dr-kim","slot":%q,"reason":"taken"}`, slot.Format(time.RFC3339))
	code, hdr, resp = call(t, s, "POST", "/api/v1/reservations", staff, taken)
	if code != http.StatusConflict {
		t.Fatalf("slot taken: %d %s", code, resp)
	}
	if p := decodeProblem(t, hdr, resp); p.Status != http.StatusConflict {
		t.Fatalf("problem %+v", p)
	}
}

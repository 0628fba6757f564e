package events

import (
	"errors"
	"testing"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/reservation"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	ev, err := Decode(reservation.TypePlaced, []byte(`{"reservationId":"00000000-0000-0000-0000-00000000000a","customer":{"name":"J","phone":"010"},"status":"booked","reason":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := ev.(reservation.Placed)
	if !ok || p.Customer.Name != "J" || p.Status != reservation.StatusBooked || p.Reason != "x" {
		t.Fatalf("got %#v", ev)
	}
	if _, err := Decode(invoice.TypePaymentRecorded, []byte(`{"amount":{"amount":5,"currency":"KRW"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode("$metadata", nil); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("err = %v, want ErrUnknownType", err)
	}
	if _, err := Decode(reservation.TypePlaced, []byte(`[`)); err == nil {
		t.Fatal("bad JSON decoded")
	}
}

func TestTypesAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, ty := range Types() {
		if seen[ty] {
			t.Errorf("type %s listed twice", ty)
		}
		seen[ty] = true
	}
	if len(seen) != 30 { // 22, and the 8 correction events
		t.Errorf("%d types, want 30", len(seen))
	}
}

func TestStreamOf(t *testing.T) {
	t.Parallel()
	p, rest, ok := StreamOf("schedule-dr-kim-2026-12-01")
	if !ok || p != "schedule-" || rest != "dr-kim-2026-12-01" {
		t.Fatalf("StreamOf = %q %q %v", p, rest, ok)
	}
	if _, _, ok := StreamOf("$all"); ok {
		t.Fatal("$all is no clinic stream")
	}
}

// TestDecodeKnowsEveryType: the switch in Decode and the packages' Types
// lists agree.
func TestDecodeKnowsEveryType(t *testing.T) {
	t.Parallel()
	for _, ty := range Types() {
		if _, err := Decode(ty, []byte(`{}`)); err != nil {
			t.Errorf("Decode(%s): %v", ty, err)
		}
	}
}

package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// TestKeyReusedWithAnotherRequest: a second payment under the first one's
// Idempotency-Key (50,000 cash after 30,000 card) is refused with
// ErrIdempotencyKeyReused and writes nothing, also by a process that
// starts afresh on the same store (the rule comes from the stored events,
// not from memory); the same request again still answers as the first.
func TestKeyReusedWithAnotherRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	res := f.examined(t, medicalrecord.Treatment{Code: "CONSULT", Quantity: 4})
	fin, err := f.h.Finalize(ctx, commands.Finalize{MedicalRecordID: res.MedicalRecordID})
	if err != nil {
		t.Fatal(err)
	}
	pay := func(h *commands.Handler, amount int64, method string) (commands.PaymentResult, error) {
		return h.RecordPayment(ctx, commands.RecordPayment{Meta: commands.Meta{By: "desk", IdempotencyKey: "desk\x00pay-1"},
			InvoiceID: fin.InvoiceID, Amount: money.KRW(amount), Method: method})
	}
	first, err := pay(f.h, 30000, invoice.MethodCard)
	if err != nil {
		t.Fatal(err)
	}
	restarted := commands.New(f.store, f.clinic, commands.Options{Clock: f.clock, CheckInWindow: wideWindow})
	for name, h := range map[string]*commands.Handler{"same process": f.h, "after a restart": restarted} {
		if _, err := pay(h, 50000, invoice.MethodCash); !errors.Is(err, commands.ErrIdempotencyKeyReused) {
			t.Errorf("%s: another payment under the same key: %v, want ErrIdempotencyKeyReused", name, err)
		}
		if _, err := pay(h, 30000, invoice.MethodCash); !errors.Is(err, commands.ErrIdempotencyKeyReused) {
			t.Errorf("%s: another method under the same key: %v, want ErrIdempotencyKeyReused", name, err)
		}
		if again, err := pay(h, 30000, invoice.MethodCard); err != nil || again.PaymentID != first.PaymentID || again.Result != first.Result {
			t.Errorf("%s: the same payment again = %+v, %v; want the first result %+v", name, again, err, first)
		}
	}
	wantTypes(t, f.store, invoice.Stream(fin.InvoiceID), invoice.TypeIssued, invoice.TypePaymentRecorded)
}

// TestPlacementKeyReusedWithAnotherSlot: a booking retried under its key
// with another slot is refused before anything is booked.
func TestPlacementKeyReusedWithAnotherSlot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.openDay(t, f.kim, 1)
	cmd := placeCmd(f.kim, at(10, 0))
	cmd.IdempotencyKey = "nurse\x00book-" + f.kim
	first, err := f.h.PlaceReservation(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	other := cmd
	other.Slot = at(11, 0)
	restarted := commands.New(f.store, f.clinic, commands.Options{Clock: f.clock, CheckInWindow: wideWindow})
	if _, err := restarted.PlaceReservation(ctx, other); !errors.Is(err, commands.ErrIdempotencyKeyReused) {
		t.Errorf("another slot under the same key: %v, want ErrIdempotencyKeyReused", err)
	}
	if again, err := restarted.PlaceReservation(ctx, cmd); err != nil || again != first {
		t.Errorf("the same booking again = %+v, %v; want %+v", again, err, first)
	}
	wantTypes(t, f.store, schedule.Stream(f.kim, day), schedule.TypeDayOpened, schedule.TypeSlotBooked)
	wantTypes(t, f.store, reservation.Stream(first.ReservationID), reservation.TypePlaced)
}

package notice

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
)

// fixture is a service over a memory store with a dispatcher that is not
// running, so tests see exactly what was recorded.
type fixture struct {
	svc   *Service
	store *MemoryStore
	now   time.Time
}

func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	r, err := NewRenderer(seoul(t))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: NewMemoryStore(), now: now}
	d := NewDispatcher(f.store, nil, DeliveryConfig{Workers: 1000}, func() time.Time { return f.now }, quiet())
	f.svc = NewService(Config{Clinic: "행복동물병원", ReminderHour: 18}, r, d, f.store, func() time.Time { return f.now }, quiet())
	return f
}

var (
	resID = uuid.MustParse("7f1c3a8e-0000-4000-8000-000000000001")
	slot  = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC) // 10:00 in Seoul
)

func visit(status reservation.Status, at time.Time) reservation.Visit {
	return reservation.Visit{
		ReservationID: resID, MedicalRecordID: reservation.MedicalRecordID(resID),
		Customer: reservation.Customer{Name: "Jackson", Phone: "010-1234-5678"},
		Pet:      reservation.Pet{Name: "Coco", Species: "dog"},
		DoctorID: "dr-kim", Slot: slot, Status: status, At: at, By: "nurse-kim",
	}
}

func event(t *testing.T, id string, pos uint64, e interface{ EventType() string }) projections.Event {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return projections.Event{ID: id, Type: e.EventType(), Data: data, Position: projections.Position{Commit: pos, Prepare: pos}}
}

func TestHandleReservationEvents(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	old := slot.Add(-24 * time.Hour)
	resched := reservation.Rescheduled{Visit: visit(reservation.StatusBooked, at), OldDoctorID: "dr-kim", OldSlot: old}
	tests := []struct {
		name     string
		ev       interface{ EventType() string }
		kind     Kind
		contains []string
	}{
		{"placed", reservation.Placed{Visit: visit(reservation.StatusBooked, at), Reason: "vaccination"},
			KindPlaced, []string{"예약이 확정", "Coco", "2026년 12월 1일 (화) 오전 10:00"}},
		{"rescheduled", resched, KindRescheduled, []string{"변경 전: 2026년 11월 30일 (월) 오전 10:00", "변경 후: 2026년 12월 1일"}},
		{"cancelled", reservation.Cancelled{Visit: visit(reservation.StatusCancelled, at), Reason: "아파서"},
			KindCancelled, []string{"취소", "사유: 아파서"}},
		{"checked in", reservation.CheckedIn{Visit: visit(reservation.StatusCheckedIn, at)}, KindCheckedIn, []string{"접수"}},
		{"completed", reservation.Completed{Visit: visit(reservation.StatusCompleted, at)}, KindCompleted, []string{"완료"}},
		{"no-show", reservation.NoShow{Visit: visit(reservation.StatusNoShow, at)}, KindNoShow, []string{"미방문"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, at.Add(time.Second))
			ctx := context.Background()
			ev := event(t, uuid.NewString(), 7, tt.ev)
			for range 2 { // a redelivery changes nothing
				if err := f.svc.Handle(ctx, ev); err != nil {
					t.Fatalf("Handle: %v", err)
				}
			}
			all, _ := f.store.List(ctx, Filter{})
			if len(all) != 1 {
				t.Fatalf("recorded %d messages, want 1", len(all))
			}
			m := all[0]
			if m.ID != ev.ID || m.Kind != tt.kind || m.ReservationID != resID.String() || m.To != "010-1234-5678" ||
				m.Position != 7 || m.Status != StatusPending || m.Locale != Korean || !m.CreatedAt.Equal(at) {
				t.Errorf("message = %+v", m)
			}
			for _, s := range tt.contains {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text %q does not contain %q", m.Text, s)
				}
			}
			if strings.Contains(m.Text, "Jackson") || strings.Contains(m.Text, "1234") {
				t.Errorf("text %q carries the customer's name or number", m.Text)
			}
		})
	}
}

func TestHandleInvoiceIssued(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	f := newFixture(t, at)
	e := invoice.Issued{
		Bill: invoice.Bill{
			InvoiceID: uuid.New(), MedicalRecordID: reservation.MedicalRecordID(resID), ReservationID: resID,
			Customer: reservation.Customer{Name: "Jackson", Phone: "010-1234-5678"},
			Total:    money.KRW(35000), Paid: money.KRW(0), Refunded: money.KRW(0), Balance: money.KRW(35000),
			Status: invoice.StatusOpen, At: at, By: "dr-kim",
		},
		Pet: reservation.Pet{Name: "Coco", Species: "dog"}, DoctorID: "dr-kim",
	}
	ev := event(t, uuid.NewString(), 9, e)
	if err := f.svc.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	m, err := f.store.Get(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindInvoiceIssued || m.ReservationID != resID.String() || m.To != "010-1234-5678" ||
		!strings.Contains(m.Text, "청구 금액: 35,000원") {
		t.Errorf("message = %+v", m)
	}
}

func TestHandleIgnoresWhatTellsTheCustomerNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Now())
	ctx := context.Background()
	for _, ev := range []projections.Event{
		{ID: "1", Type: "SlotBooked", Data: []byte(`{}`)},
		{ID: "2", Type: "PaymentRecorded", Data: []byte(`{}`)},
		{ID: "3", Type: reservation.TypePlaced, Data: []byte(`{not json`)},
		{ID: "4", Type: "InvoiceIssued", Data: []byte(`[]`)},
	} {
		if err := f.svc.Handle(ctx, ev); err != nil {
			t.Errorf("Handle(%s) = %v, want nil", ev.Type, err)
		}
	}
	if all, _ := f.store.List(ctx, Filter{}); len(all) != 0 {
		t.Errorf("recorded %d messages, want none", len(all))
	}
}

func TestHandleOldEventIsRecordedExpiredNotSent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFixture(t, at.Add(30*24*time.Hour))
	ev := event(t, "old", 1, reservation.Placed{Visit: visit(reservation.StatusBooked, at)})
	if err := f.svc.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	m, err := f.store.Get(context.Background(), "old")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != StatusExpired {
		t.Errorf("status = %s, want expired", m.Status)
	}
	if due, _ := f.store.Due(context.Background(), f.now.Add(time.Hour), 0); len(due) != 0 {
		t.Errorf("an expired message is due: %+v", due)
	}
}

type failingStore struct{ *MemoryStore }

func (failingStore) Add(context.Context, Message) (bool, error) {
	return false, errors.New("disk full")
}

func TestHandleReturnsStoreErrors(t *testing.T) {
	t.Parallel()
	r, _ := NewRenderer(seoul(t))
	mem := NewMemoryStore()
	d := NewDispatcher(failingStore{mem}, nil, DeliveryConfig{}, nil, quiet())
	at := time.Now().UTC()
	svc := NewService(Config{}, r, d, mem, nil, quiet())
	err := svc.Handle(context.Background(), event(t, "x", 1, reservation.Placed{Visit: visit(reservation.StatusBooked, at)}))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Handle = %v, want the store's error (so the runtime retries and does not checkpoint)", err)
	}
}

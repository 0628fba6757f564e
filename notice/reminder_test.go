package notice

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/reservation"
)

func kst(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, seoul(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// book feeds the service a placement (and optionally more events) for a
// new reservation and returns its ID.
func book(t *testing.T, f *fixture, pos *uint64, slot, bookedAt time.Time, then ...func(reservation.Visit) interface{ EventType() string }) string {
	t.Helper()
	id := uuid.New()
	v := reservation.Visit{ReservationID: id, Customer: reservation.Customer{Phone: "010-0000-" + id.String()[:4]},
		Pet: reservation.Pet{Name: "Pet-" + id.String()[:4]}, Slot: slot.UTC(), Status: reservation.StatusBooked, At: bookedAt.UTC()}
	evs := []interface{ EventType() string }{reservation.Placed{Visit: v}}
	for _, fn := range then {
		evs = append(evs, fn(v))
	}
	for _, e := range evs {
		*pos++
		if err := f.svc.Handle(context.Background(), event(t, uuid.NewString(), *pos, e)); err != nil {
			t.Fatal(err)
		}
	}
	return id.String()
}

func reminders(t *testing.T, f *fixture) map[string]Message {
	t.Helper()
	all, err := f.store.List(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Message{}
	for _, m := range all {
		if m.Kind == KindReminder {
			out[m.ReservationID] = m
		}
	}
	return out
}

func TestRemind(t *testing.T) {
	t.Parallel()
	early := kst(t, "2026-11-20 09:00")
	f := newFixture(t, early) // events are recent enough to be sent
	var pos uint64
	cancel := func(v reservation.Visit) interface{ EventType() string } {
		v.Status, v.At = reservation.StatusCancelled, kst(t, "2026-11-25 09:00").UTC()
		return reservation.Cancelled{Visit: v, Reason: "x"}
	}
	moveTo := func(s string) func(reservation.Visit) interface{ EventType() string } {
		return func(v reservation.Visit) interface{ EventType() string } {
			old := v.Slot
			v.Slot, v.At = kst(t, s).UTC(), kst(t, "2026-11-25 09:00").UTC()
			return reservation.Rescheduled{Visit: v, OldSlot: old}
		}
	}
	want := map[string]bool{
		book(t, f, &pos, kst(t, "2026-12-01 10:00"), early):                             true,
		book(t, f, &pos, kst(t, "2026-12-01 00:30"), early):                             true, // 11-30 in UTC
		book(t, f, &pos, kst(t, "2026-12-01 23:30"), early):                             true,
		book(t, f, &pos, kst(t, "2026-12-03 10:00"), early, moveTo("2026-12-01 15:00")): true,
	}
	notWanted := []string{
		book(t, f, &pos, kst(t, "2026-12-01 11:00"), early, cancel),
		book(t, f, &pos, kst(t, "2026-12-01 12:00"), early, moveTo("2026-12-03 12:00")),
		book(t, f, &pos, kst(t, "2026-12-02 10:00"), early),
		book(t, f, &pos, kst(t, "2026-11-30 20:00"), early),
	}
	// Booked after the reminder hour: its confirmation already said when.
	f.now = kst(t, "2026-11-30 19:00")
	notWanted = append(notWanted, book(t, f, &pos, kst(t, "2026-12-01 09:00"), kst(t, "2026-11-30 19:00")))

	ctx := context.Background()
	if n, err := f.svc.Remind(ctx, kst(t, "2026-11-30 17:59")); n != 0 || err != nil {
		t.Fatalf("Remind before the hour = %d, %v; want 0", n, err)
	}
	if n, err := f.svc.Remind(ctx, kst(t, "2026-11-30 18:00")); n != 4 || err != nil {
		t.Fatalf("Remind at the hour = %d, %v; want 4", n, err)
	}
	if n, err := f.svc.Remind(ctx, kst(t, "2026-11-30 21:00")); n != 0 || err != nil {
		t.Fatalf("Remind again = %d, %v; want 0 (one reminder per visit)", n, err)
	}
	got := reminders(t, f)
	for id := range want {
		m, ok := got[id]
		if !ok {
			t.Errorf("no reminder for %s", id)
			continue
		}
		if m.ID != ReminderID(id, "2026-12-01") || m.Status != StatusPending || !strings.Contains(m.Text, "내일 진료 예약") {
			t.Errorf("reminder = %+v", m)
		}
	}
	for _, id := range notWanted {
		if m, ok := got[id]; ok {
			t.Errorf("unwanted reminder %+v", m)
		}
	}
	// The next day's run reminds the visits of the day after.
	if n, err := f.svc.Remind(ctx, kst(t, "2026-12-01 18:30")); n != 1 || err != nil {
		t.Errorf("Remind the next day = %d, %v; want 1", n, err)
	}
}

func TestRunRemindersUsesTheInjectedClock(t *testing.T) {
	t.Parallel()
	r, _ := NewRenderer(seoul(t))
	mem := NewMemoryStore()
	clock := make(chan time.Time, 1)
	var current time.Time
	now := func() time.Time {
		select {
		case current = <-clock:
		default:
		}
		return current
	}
	d := NewDispatcher(mem, nil, DeliveryConfig{Workers: 4}, now, quiet())
	svc := NewService(Config{Clinic: "C", ReminderHour: 9}, r, d, mem, now, quiet())
	clock <- kst(t, "2026-11-29 08:00")
	ctx := context.Background()
	v := reservation.Visit{ReservationID: resID, Customer: reservation.Customer{Phone: "010-1234-5678"},
		Pet: reservation.Pet{Name: "Coco"}, Slot: kst(t, "2026-11-30 10:00").UTC(), Status: reservation.StatusBooked,
		At: kst(t, "2026-11-29 08:00").UTC()}
	if err := svc.Handle(ctx, event(t, "placed", 1, reservation.Placed{Visit: v})); err != nil {
		t.Fatal(err)
	}
	if id := <-d.work; id != "placed" {
		t.Fatalf("queued %q, want the placement", id)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.RunReminders(runCtx, time.Millisecond, nil); close(done) }()
	clock <- kst(t, "2026-11-29 09:00") // the clinic's clock reaches the hour
	id := <-d.work
	cancel()
	<-done
	if id != ReminderID(resID.String(), "2026-11-30") {
		t.Errorf("queued %q, want the reminder", id)
	}
}

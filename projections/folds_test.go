package projections_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

var (
	seoul, _ = time.LoadLocation("Asia/Seoul")
	resID    = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	recID    = reservation.MedicalRecordID(resID)
	invID    = uuid.MustParse("33333333-3333-4333-8333-333333333333")
	t0       = time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC) // 08:00 on Dec 1 in Seoul
	slot1    = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)   // 10:00 in Seoul
	slot2    = time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)  // 01:00 on Dec 2 in Seoul
	jackson  = reservation.Customer{Name: "Jackson", Phone: "010-1234-5678"}
	coco     = reservation.Pet{Name: "Coco", Species: "dog"}
)

func visit(status reservation.Status, doctor string, slot time.Time, at time.Time) reservation.Visit {
	return reservation.Visit{ReservationID: resID, MedicalRecordID: recID, Customer: jackson, Pet: coco,
		DoctorID: doctor, Slot: slot, Status: status, At: at, By: "nurse-kim"}
}

func bill(total, paid, refunded int64, status invoice.Status, at time.Time) invoice.Bill {
	return invoice.Bill{InvoiceID: invID, MedicalRecordID: recID, ReservationID: resID, Customer: jackson,
		Total: money.KRW(total), Paid: money.KRW(paid), Refunded: money.KRW(refunded), Balance: money.KRW(total - paid),
		Status: status, At: at, By: "nurse-kim"}
}

func TestLookupFold(t *testing.T) {
	t.Parallel()
	placed := reservation.Placed{Visit: visit(reservation.StatusBooked, "dr-kim", slot1, t0), Reason: "vaccination"}
	base := projections.Reservation{
		ID: resID.String(), Status: "booked", Slot: slot1, Day: "2026-12-01", DoctorID: "dr-kim", Reason: "",
		Customer:      projections.LookupCustomer{Name: "Jackson", Phone: "010-1234-5678"},
		Pet:           projections.LookupPet{Name: "Coco", Species: "dog"},
		MedicalRecord: projections.LookupRecord{ID: recID.String(), Status: "open"},
		Timeline:      []projections.TimelineEntry{{Status: "booked", At: t0, Slot: slot1, Reason: "vaccination"}},
	}
	with := func(f func(r *projections.Reservation)) projections.Reservation {
		r := base
		r.Timeline = append([]projections.TimelineEntry(nil), base.Timeline...)
		f(&r)
		return r
	}
	tests := []struct {
		name  string
		given []domain.Event
		want  projections.Reservation
	}{
		{"placed", []domain.Event{placed}, base},
		{"rescheduled across midnight in Seoul", []domain.Event{placed,
			reservation.Rescheduled{Visit: visit(reservation.StatusBooked, "dr-lee", slot2, t0.Add(time.Hour)), OldDoctorID: "dr-kim", OldSlot: slot1}},
			with(func(r *projections.Reservation) {
				r.Slot, r.DoctorID, r.Day = slot2, "dr-lee", "2026-12-02"
				r.Timeline = append(r.Timeline, projections.TimelineEntry{Status: "booked", At: t0.Add(time.Hour), Slot: slot2})
			})},
		{"cancelled voids the record", []domain.Event{placed,
			reservation.Cancelled{Visit: visit(reservation.StatusCancelled, "dr-kim", slot1, t0.Add(time.Hour)), Reason: "sick"},
			medicalrecord.Voided{MedicalRecordID: recID, ReservationID: resID, Reason: "cancelled", Status: medicalrecord.StatusVoided}},
			with(func(r *projections.Reservation) {
				r.Status, r.MedicalRecord.Status = "cancelled", "voided"
				r.Timeline = append(r.Timeline, projections.TimelineEntry{Status: "cancelled", At: t0.Add(time.Hour), Slot: slot1, Reason: "sick"})
			})},
		{"examined, billed, part paid", []domain.Event{placed,
			reservation.CheckedIn{Visit: visit(reservation.StatusCheckedIn, "dr-kim", slot1, slot1)},
			medicalrecord.DiagnosisRecorded{MedicalRecordID: recID, ReservationID: resID, Diagnosis: "healthy"},
			medicalrecord.Finalized{MedicalRecordID: recID, ReservationID: resID, InvoiceID: invID, Diagnosis: "healthy", Status: medicalrecord.StatusFinalized},
			invoice.Issued{Bill: bill(30000, 0, 0, invoice.StatusOpen, slot1)},
			invoice.PaymentRecorded{Bill: bill(30000, 10000, 0, invoice.StatusPartiallyPaid, slot1), Amount: money.KRW(10000), Method: "card"},
			reservation.Completed{Visit: visit(reservation.StatusCompleted, "dr-kim", slot1, slot1.Add(time.Hour))}},
			with(func(r *projections.Reservation) {
				r.Status = "completed"
				r.MedicalRecord = projections.LookupRecord{ID: recID.String(), Status: "finalized", Diagnosis: "healthy"}
				r.Bill = &projections.LookupBill{InvoiceID: invID.String(), Total: 30000, Paid: 10000, Balance: 20000, Currency: "KRW", Status: "partially_paid"}
				r.Timeline = append(r.Timeline,
					projections.TimelineEntry{Status: "checked_in", At: slot1, Slot: slot1},
					projections.TimelineEntry{Status: "completed", At: slot1.Add(time.Hour), Slot: slot1})
			})},
		{"record events before the reservation", []domain.Event{
			medicalrecord.Opened{MedicalRecordID: recID, ReservationID: resID, Status: medicalrecord.StatusOpen}, placed},
			base},
		{"no-show", []domain.Event{placed, reservation.NoShow{Visit: visit(reservation.StatusNoShow, "dr-kim", slot1, slot1.Add(time.Hour))}},
			with(func(r *projections.Reservation) {
				r.Status = "no_show"
				r.Timeline = append(r.Timeline, projections.TimelineEntry{Status: "no_show", At: slot1.Add(time.Hour), Slot: slot1})
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got projections.Reservation
			for _, e := range tt.given {
				id, fold := projections.LookupFold(e, seoul)
				if id != resID.String() || fold == nil {
					t.Fatalf("%T: folds into %q", e, id)
				}
				fold(&got)
			}
			got.ID = resID.String()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if k := got.IndexKeys(); k[projections.KeyPhone] != "01012345678" || k[projections.KeyDoctorDay] != got.DoctorID+"|"+got.Day {
				t.Errorf("index keys %v", k)
			}
		})
	}
	if _, fold := projections.LookupFold(schedule.DayClosed{}, seoul); fold != nil {
		t.Error("a schedule event changes the lookup")
	}
}

func TestTimelineStaysShort(t *testing.T) {
	t.Parallel()
	var r projections.Reservation
	for i := 0; i < 50; i++ {
		_, fold := projections.LookupFold(reservation.Rescheduled{Visit: visit(reservation.StatusBooked, "dr-kim", slot1.Add(time.Duration(i)*time.Hour), t0)}, seoul)
		fold(&r)
	}
	if len(r.Timeline) != 20 || !r.Timeline[19].Slot.Equal(slot1.Add(49*time.Hour)) {
		t.Errorf("timeline has %d entries ending %v; want the last 20", len(r.Timeline), r.Timeline[len(r.Timeline)-1])
	}
}

func TestLedgerFolds(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC) // 23:30 in Seoul
	late := at.Add(time.Hour)                            // 00:30 on Dec 2 in Seoul
	evs := []struct {
		e   domain.Event
		pos uint64
	}{
		{invoice.Issued{Bill: bill(30000, 0, 0, invoice.StatusOpen, at)}, 10},
		{invoice.PaymentRecorded{Bill: bill(30000, 30000, 0, invoice.StatusPaid, at), Amount: money.KRW(30000), Method: "card"}, 20},
		{invoice.PaymentRefunded{Bill: bill(30000, 20000, 10000, invoice.StatusPartiallyPaid, late), Amount: money.KRW(10000), Method: "card"}, 30},
	}
	var inv projections.InvoiceAccount
	var cust projections.CustomerAccount
	days := map[string]*projections.DayTotals{}
	var entries []projections.LedgerEntry
	for i, x := range evs {
		ev := projections.Event{ID: string(rune('a' + i)), Position: projections.Position{Commit: x.pos}}
		entry, b, ok := projections.LedgerEntryOf(ev, x.e, seoul)
		if !ok {
			t.Fatalf("%T makes no entry", x.e)
		}
		entries = append(entries, entry)
		projections.FoldInvoiceAccount(&inv, entry, b)
		projections.FoldCustomerAccount(&cust, entry)
		if days[entry.Day] == nil {
			days[entry.Day] = &projections.DayTotals{}
		}
		projections.FoldDayTotals(days[entry.Day], entry)
	}
	wantLines := []projections.BalanceLine{
		{EntryID: "a", Kind: "charge", InvoiceID: invID.String(), Amount: 30000, At: at, Balance: 30000},
		{EntryID: "b", Kind: "payment", InvoiceID: invID.String(), Amount: 30000, At: at, Balance: 0},
		{EntryID: "c", Kind: "refund", InvoiceID: invID.String(), Amount: 10000, At: late, Balance: 10000},
	}
	if diff := cmp.Diff(wantLines, inv.Entries); diff != "" {
		t.Errorf("invoice running balances (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantLines, cust.Entries); diff != "" {
		t.Errorf("customer running balances (-want +got):\n%s", diff)
	}
	if inv.Balance != 10000 || inv.Status != "partially_paid" || cust.Balance != 10000 || cust.Charged != 30000 {
		t.Errorf("invoice %+v customer %+v", inv, cust)
	}
	if entries[0].Day != "2026-12-01" || entries[2].Day != "2026-12-02" || entries[2].Phone != "01012345678" {
		t.Errorf("entries %+v", entries)
	}
	want := map[string]*projections.DayTotals{
		"2026-12-01": {Day: "2026-12-01", Position: 20, Totals: map[string]*projections.KindTotals{"KRW": {Charges: 30000, Payments: 30000, Net: 30000, Count: 2}}},
		"2026-12-02": {Day: "2026-12-02", Position: 30, Totals: map[string]*projections.KindTotals{"KRW": {Refunds: 10000, Net: -10000, Count: 1}}},
	}
	if diff := cmp.Diff(want, days); diff != "" {
		t.Errorf("daily totals (-want +got):\n%s", diff)
	}
}

func TestAvailabilityFold(t *testing.T) {
	t.Parallel()
	first := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	opened := schedule.DayOpened{DoctorID: "dr-kim", Date: "2026-12-01", TimeZone: "Asia/Seoul", Opens: "09:00", Closes: "10:30",
		SlotMinutes: 30, Capacity: 2, FirstSlot: first, Slots: 3}
	s := func(k, capacity, booked int) projections.SlotPlace {
		return projections.SlotPlace{Start: first.Add(time.Duration(k*30) * time.Minute), Capacity: capacity, Booked: booked, Free: capacity - booked}
	}
	booked := func(k, n int) domain.Event {
		return schedule.SlotBooked{DoctorID: "dr-kim", Date: "2026-12-01", Slot: first.Add(time.Duration(k*30) * time.Minute), Booked: n, Capacity: 2}
	}
	released := func(k, n int) domain.Event {
		return schedule.SlotReleased{DoctorID: "dr-kim", Date: "2026-12-01", Slot: first.Add(time.Duration(k*30) * time.Minute), Booked: n, Capacity: 2}
	}
	changed := opened
	changed.Capacity, changed.Slots, changed.Closes = 3, 2, "10:00"
	tests := []struct {
		name  string
		given []domain.Event
		want  []projections.SlotPlace
	}{
		{"opened", []domain.Event{opened}, []projections.SlotPlace{s(0, 2, 0), s(1, 2, 0), s(2, 2, 0)}},
		{"booked twice, released once", []domain.Event{opened, booked(1, 1), booked(1, 2), released(1, 1)},
			[]projections.SlotPlace{s(0, 2, 0), s(1, 2, 1), s(2, 2, 0)}},
		{"changed keeps bookings", []domain.Event{opened, booked(0, 1), schedule.DayChanged(changed)},
			[]projections.SlotPlace{s(0, 3, 1), s(1, 3, 0)}},
		{"closed", []domain.Event{opened, schedule.DayClosed{DoctorID: "dr-kim", Date: "2026-12-01"}}, []projections.SlotPlace{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got projections.DoctorDayAvailability
			for _, e := range tt.given {
				id, fold := projections.AvailabilityFold(e)
				if id != "dr-kim|2026-12-01" {
					t.Fatalf("%T folds into %q", e, id)
				}
				fold(&got)
			}
			if diff := cmp.Diff(tt.want, got.Slots); diff != "" {
				t.Errorf("slots (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProjectionsThroughTheRunner runs the three read models on stored
// (JSON) events, twice over, to check decoding, routing and idempotency.
func TestProjectionsThroughTheRunner(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	add := func(stream string, e domain.Event) projections.Event {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return src.Append(stream, e.EventType(), b)
	}
	first := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	add("schedule-dr-kim-2026-12-01", schedule.DayOpened{DoctorID: "dr-kim", Date: "2026-12-01", SlotMinutes: 30, Capacity: 1, FirstSlot: first, Slots: 4})
	add("schedule-dr-kim-2026-12-01", schedule.SlotBooked{DoctorID: "dr-kim", Date: "2026-12-01", Slot: slot1, ReservationID: resID, Booked: 1, Capacity: 1})
	add(reservation.Stream(resID), reservation.Placed{Visit: visit(reservation.StatusBooked, "dr-kim", slot1, t0)})
	add(medicalrecord.Stream(recID), medicalrecord.Opened{MedicalRecordID: recID, ReservationID: resID, Status: medicalrecord.StatusOpen})
	add(medicalrecord.Stream(recID), medicalrecord.Finalized{MedicalRecordID: recID, ReservationID: resID, InvoiceID: invID, Status: medicalrecord.StatusFinalized})
	add(invoice.Stream(invID), invoice.Issued{Bill: bill(30000, 0, 0, invoice.StatusOpen, slot1)})
	src.Append(reservation.Stream(resID), "SomethingNewer", []byte(`{}`)) // unknown types are skipped
	last := add(invoice.Stream(invID), invoice.PaymentRecorded{Bill: bill(30000, 30000, 0, invoice.StatusPaid, slot1), Amount: money.KRW(30000), Method: "cash"})

	for _, sub := range []projections.Subscriber{projections.Lookup(seoul), projections.Ledger(seoul), projections.Availability()} {
		r := projectionstest.Start(t, src, store, sub, 3)
		r.WaitFor(t, last.Position)
		r.Stop()
	}
	ctx := context.Background()
	read := func(ns, coll, id string, v any) {
		t.Helper()
		d, ok, err := store.Get(ctx, ns, coll, id)
		if err != nil || !ok {
			t.Fatalf("%s/%s/%s: ok %v err %v", ns, coll, id, ok, err)
		}
		if err := json.Unmarshal(d.Body, v); err != nil {
			t.Fatal(err)
		}
	}
	var r projections.Reservation
	read("lookup~1", projections.LookupColl, resID.String(), &r)
	if r.Status != "booked" || r.MedicalRecord.Status != "finalized" || r.Bill == nil || r.Bill.Balance != 0 || r.Position != last.Position.Commit {
		t.Errorf("lookup document %+v", r)
	}
	var acct projections.CustomerAccount
	read("ledger~1", projections.LedgerCustomers, "01012345678", &acct)
	if acct.Balance != 0 || len(acct.Entries) != 2 {
		t.Errorf("customer account %+v", acct)
	}
	var day projections.DoctorDayAvailability
	read("availability~1", projections.AvailabilityColl, "dr-kim|2026-12-01", &day)
	if len(day.Slots) != 4 || day.Slots[2].Free != 0 || day.Slots[0].Free != 1 {
		t.Errorf("availability %+v", day)
	}
	if p, _ := store.ParkedEvents(ctx, ""); len(p) != 0 {
		t.Errorf("parked: %+v", p)
	}
}

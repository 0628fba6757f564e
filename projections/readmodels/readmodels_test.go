package readmodels_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/availability"
	"github.com/vetclinic/clinic/projections/ledger"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/projections/readmodels"
)

var (
	seoul, _ = time.LoadLocation("Asia/Seoul")
	resID    = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	recID    = reservation.MedicalRecordID(resID)
	invID    = uuid.MustParse("33333333-3333-4333-8333-333333333333")
	t0       = time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC) // 08:00 on Dec 1 in Seoul
	slot1    = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)   // 10:00 in Seoul
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

// TestProjectionsThroughTheRunner runs every read model of the list on stored
// (JSON) events, twice over, to check decoding, routing and idempotency.
func TestProjectionsThroughTheRunner(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	add := appender(t, src)
	first := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	add("schedule-dr-kim-2026-12-01", schedule.DayOpened{DoctorID: "dr-kim", Date: "2026-12-01", SlotMinutes: 30, Capacity: 1, FirstSlot: first, Slots: 4})
	add("schedule-dr-kim-2026-12-01", schedule.SlotBooked{DoctorID: "dr-kim", Date: "2026-12-01", Slot: slot1, ReservationID: resID, Booked: 1, Capacity: 1})
	add(reservation.Stream(resID), reservation.Placed{Visit: visit(reservation.StatusBooked, "dr-kim", slot1, t0)})
	add(medicalrecord.Stream(recID), medicalrecord.Opened{MedicalRecordID: recID, ReservationID: resID, Status: medicalrecord.StatusOpen})
	add(medicalrecord.Stream(recID), medicalrecord.Finalized{MedicalRecordID: recID, ReservationID: resID, InvoiceID: invID, Status: medicalrecord.StatusFinalized})
	add(invoice.Stream(invID), invoice.Issued{Bill: bill(30000, 0, 0, invoice.StatusOpen, slot1)})
	src.Append(reservation.Stream(resID), "SomethingNewer", []byte(`{}`)) // unknown types are skipped
	last := add(invoice.Stream(invID), invoice.PaymentRecorded{Bill: bill(30000, 30000, 0, invoice.StatusPaid, slot1), Amount: money.KRW(30000), Method: "cash"})

	read := runAll(t, src, store, last, 3)
	var r lookup.Reservation
	read("lookup~1", lookup.Coll, resID.String(), &r)
	if r.Status != "booked" || r.MedicalRecord.Status != "finalized" || r.Bill == nil || r.Bill.Balance != 0 || r.Position != last.Position.Commit {
		t.Errorf("lookup document %+v", r)
	}
	var acct ledger.CustomerAccount
	read("ledger~1", ledger.Customers, "01012345678", &acct)
	if acct.Balance != 0 || len(acct.Entries) != 2 {
		t.Errorf("customer account %+v", acct)
	}
	var day availability.Day
	read("availability~1", availability.Coll, "dr-kim|2026-12-01", &day)
	if len(day.Slots) != 4 || day.Slots[2].Free != 0 || day.Slots[0].Free != 1 {
		t.Errorf("availability %+v", day)
	}
	if p, _ := store.ParkedEvents(context.Background(), ""); len(p) != 0 {
		t.Errorf("parked: %+v", p)
	}
}

// appender returns a function that appends e to stream of src, encoded as
// the event store keeps it, and returns the stored event.
func appender(t *testing.T, src *projectionstest.MemorySource) func(stream string, e domain.Event) projections.Event {
	return func(stream string, e domain.Event) projections.Event {
		t.Helper()
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return src.Append(stream, e.EventType(), b)
	}
}

// runAll runs every read model of the list over src into store, batch
// events at a time, until each has applied last, and returns a reader of
// the documents they wrote.
func runAll(t *testing.T, src *projectionstest.MemorySource, store *bolt.Store, last projections.Event, batch int) func(ns, coll, id string, v any) {
	t.Helper()
	for _, p := range readmodels.All(seoul) {
		r := projectionstest.Start(t, src, store, p.Subscriber, batch)
		r.WaitFor(t, last.Position)
		r.Stop()
	}
	return func(ns, coll, id string, v any) {
		t.Helper()
		d, ok, err := store.Get(context.Background(), ns, coll, id)
		if err != nil || !ok {
			t.Fatalf("%s/%s/%s: ok %v err %v", ns, coll, id, ok, err)
		}
		if err := json.Unmarshal(d.Body, v); err != nil {
			t.Fatal(err)
		}
	}
}

func openStore(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/projections/readmodels"
	"github.com/vetclinic/clinic/queries"
)

// readsFixture is the whole API (routes()) over a read store that every
// read model of readmodels.All filled from events appended to an in-memory
// $all, with the command side's metadata ({"by"}).
type readsFixture struct {
	h     http.Handler
	auth  testAuth
	src   *projectionstest.MemorySource
	store *bolt.Store
	last  projections.Event
	seoul *time.Location
}

func newReadsFixture(t *testing.T, now time.Time) *readsFixture {
	t.Helper()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	store, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &readsFixture{auth: newTestAuth(t), src: projectionstest.NewMemorySource(), store: store, seoul: seoul}
	start := time.Now()
	clock := func() time.Time { return now.Add(time.Since(start)) } // from now on, at the real pace (waits are timed by it)
	filters := map[string]projections.Filter{}
	for _, p := range readmodels.All(seoul) {
		filters[p.Subscriber.Name] = p.Subscriber.Filter
	}
	pending := func(ctx context.Context, name string, from projections.Position, upTo uint64) (bool, error) {
		return f.src.AnyUpTo(ctx, from, upTo, filters[name]) // as the query role wires it
	}
	f.h = New(Config{Verifier: f.auth.verifier, RetryAfter: time.Second, Now: clock,
		Clinic: &clinic.Clinic{Name: "Happy Paws", Location: seoul, Currency: "KRW",
			Doctors: []clinic.Doctor{{ID: "dr-kim", Name: "Dr. Kim"}, {ID: "dr-lee", Name: "Dr. Lee"}}},
		Lookup: queries.New(store, queries.Options{MaxWait: 20 * time.Millisecond, Now: clock, Pending: pending})})
	return f
}

// add appends e to stream as written by the caller by (in the metadata).
func (f *readsFixture) add(t *testing.T, stream, by string, e domain.Event) {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]string{"commandId": uuid.NewString(), "by": by})
	f.last = f.src.AppendWithMetadata(uuid.NewString(), stream, e.EventType(), b, meta)
}

// sync runs every read model until it has folded everything appended.
func (f *readsFixture) sync(t *testing.T) {
	t.Helper()
	for _, p := range readmodels.All(f.seoul) {
		r := projectionstest.Start(t, f.src, f.store, p.Subscriber, 100)
		r.WaitFor(t, f.last.Position)
		r.Stop()
	}
}

// get calls the API and decodes a 200's body into out; it returns the status.
func (f *readsFixture) get(t *testing.T, path, token string, out any) (int, []byte) {
	t.Helper()
	code, _, body := call(t, f.h, "GET", path, token, "")
	if code == http.StatusOK && out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return code, body
}

// visitIDs is one booked visit's ids.
type visitIDs struct {
	res, rec, inv uuid.UUID
}

// clinicDay appends a day at the clinic: dr-kim sees Jackson's Coco at
// 10:00 (examined, treated, prescribed, finalised, paid 30,000 by card and
// 10,000 refunded, an addendum after finalising), dr-lee has Park's Nabi
// booked at 09:30.
func (f *readsFixture) clinicDay(t *testing.T) (coco, nabi visitIDs) {
	t.Helper()
	slot := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)    // 10:00 in Seoul
	early := time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)  // 09:30 in Seoul
	booked := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC) // the day before
	first := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)   // 09:00 in Seoul
	coco.res, nabi.res = uuid.New(), uuid.New()
	coco.rec, nabi.rec = reservation.MedicalRecordID(coco.res), reservation.MedicalRecordID(nabi.res)
	coco.inv = medicalrecord.InvoiceID(coco.rec)
	jackson := reservation.Customer{Name: "Jackson Lee", Phone: "010-1234-5678"}
	park := reservation.Customer{Name: "Park Jimin", Phone: "010-9999-0000"}
	pet := reservation.Pet{Name: "Coco", Species: "dog"}
	v := func(id uuid.UUID, c reservation.Customer, p reservation.Pet, doctor string, s time.Time, st reservation.Status, at time.Time) reservation.Visit {
		return reservation.Visit{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id), Customer: c, Pet: p,
			DoctorID: doctor, Slot: s, Status: st, At: at, By: "ignored-by-metadata"}
	}
	f.add(t, "schedule-dr-kim-2026-12-01", "nurse-kim", schedule.DayOpened{DoctorID: "dr-kim", Date: "2026-12-01", TimeZone: "Asia/Seoul",
		Opens: "09:00", Closes: "11:00", SlotMinutes: 30, Capacity: 1, FirstSlot: first, Slots: 4, At: booked})
	f.add(t, "schedule-dr-kim-2026-12-01", "nurse-kim", schedule.SlotBooked{DoctorID: "dr-kim", Date: "2026-12-01", Slot: slot,
		ReservationID: coco.res, Booked: 1, Capacity: 1, At: booked})
	f.add(t, reservation.Stream(coco.res), "nurse-kim", reservation.Placed{Visit: v(coco.res, jackson, pet, "dr-kim", slot, reservation.StatusBooked, booked), Reason: "vaccination"})
	f.add(t, medicalrecord.Stream(coco.rec), "nurse-kim", medicalrecord.Opened{MedicalRecordID: coco.rec, ReservationID: coco.res, DoctorID: "dr-kim",
		Customer: jackson, Pet: pet, VisitAt: slot, Reason: "vaccination", Status: medicalrecord.StatusOpen, At: booked})
	f.add(t, reservation.Stream(nabi.res), "nurse-kim", reservation.Placed{Visit: v(nabi.res, park, reservation.Pet{Name: "Nabi", Species: "cat"}, "dr-lee", early, reservation.StatusBooked, booked)})
	f.add(t, reservation.Stream(coco.res), "nurse-kim", reservation.CheckedIn{Visit: v(coco.res, jackson, pet, "dr-kim", slot, reservation.StatusCheckedIn, slot)})
	f.add(t, medicalrecord.Stream(coco.rec), "dr-kim", medicalrecord.DiagnosisRecorded{MedicalRecordID: coco.rec, ReservationID: coco.res,
		Findings: "INTERNAL-FINDINGS: owner seemed anxious", Diagnosis: "otitis externa", At: slot.Add(10 * time.Minute)})
	line := medicalrecord.Line{Code: "CONSULT", Description: "General consultation", Quantity: 2, UnitPrice: money.KRW(15000), LineTotal: money.KRW(30000)}
	f.add(t, medicalrecord.Stream(coco.rec), "dr-kim", medicalrecord.TreatmentsAdded{MedicalRecordID: coco.rec, ReservationID: coco.res,
		Items: []medicalrecord.Line{line}, Total: money.KRW(30000), At: slot.Add(15 * time.Minute)})
	f.add(t, medicalrecord.Stream(coco.rec), "dr-kim", medicalrecord.PrescriptionsAdded{MedicalRecordID: coco.rec, ReservationID: coco.res,
		Items: []medicalrecord.Prescription{{Drug: "Amoxicillin", Dosage: "250mg", Frequency: "twice daily", Days: 7, Notes: "with food"}}, At: slot.Add(16 * time.Minute)})
	f.add(t, medicalrecord.Stream(coco.rec), "dr-kim", medicalrecord.Finalized{MedicalRecordID: coco.rec, ReservationID: coco.res, InvoiceID: coco.inv,
		DoctorID: "dr-kim", Customer: jackson, Pet: pet, VisitAt: slot, Findings: "INTERNAL-FINDINGS: owner seemed anxious", Diagnosis: "otitis externa",
		Lines: []medicalrecord.Line{line}, Total: money.KRW(30000), Status: medicalrecord.StatusFinalized, At: slot.Add(20 * time.Minute)})
	b := invoice.Bill{InvoiceID: coco.inv, MedicalRecordID: coco.rec, ReservationID: coco.res, Customer: jackson, Total: money.KRW(30000),
		Paid: money.KRW(0), Refunded: money.KRW(0), Balance: money.KRW(30000), Status: invoice.StatusOpen, At: slot.Add(20 * time.Minute)}
	f.add(t, invoice.Stream(coco.inv), "dr-kim", invoice.Issued{Bill: b, Pet: pet, DoctorID: "dr-kim", Lines: []medicalrecord.Line{line}})
	b.Paid, b.Balance, b.Status, b.At = money.KRW(30000), money.KRW(0), invoice.StatusPaid, slot.Add(25*time.Minute)
	f.add(t, invoice.Stream(coco.inv), "desk-park", invoice.PaymentRecorded{Bill: b, PaymentID: uuid.New(), Amount: money.KRW(30000), Method: "card"})
	b.Paid, b.Refunded, b.Balance, b.Status, b.At = money.KRW(20000), money.KRW(10000), money.KRW(10000), invoice.StatusPartiallyPaid, slot.Add(26*time.Minute)
	f.add(t, invoice.Stream(coco.inv), "desk-park", invoice.PaymentRefunded{Bill: b, RefundID: uuid.New(), Amount: money.KRW(10000), Method: "card", Reason: "double charge"})
	f.add(t, medicalrecord.Stream(coco.rec), "dr-kim", medicalrecord.AddendumAdded{MedicalRecordID: coco.rec, ReservationID: coco.res,
		Text: "INTERNAL-ADDENDUM: recheck ear in 2 weeks", At: slot.Add(30 * time.Minute)})
	f.add(t, reservation.Stream(coco.res), "nurse-kim", reservation.Completed{Visit: v(coco.res, jackson, pet, "dr-kim", slot, reservation.StatusCompleted, slot.Add(31*time.Minute))})
	f.sync(t)
	return coco, nabi
}

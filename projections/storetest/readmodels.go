package storetest

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
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// testStaffReadModels runs the staff's read models (visits, records,
// invoices) on the store, then delivers every event again as after a crash
// between the documents and the checkpoint: the documents must not change,
// and the reads by index key must find them.
func testStaffReadModels(t *testing.T, s projections.Store) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	src := projectionstest.NewMemorySource()
	add := func(stream string, e domain.Event) {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		src.AppendWithMetadata(uuid.NewString(), stream, e.EventType(), b, []byte(`{"by":"nurse-kim"}`))
	}
	var resIDs, recIDs, invIDs []string
	for i := 0; i < 6; i++ {
		id := uuid.New()
		rec, slot := reservation.MedicalRecordID(id), time.Date(2026, 12, 1, i, 0, 0, 0, time.UTC)
		inv := medicalrecord.InvoiceID(rec)
		resIDs, recIDs, invIDs = append(resIDs, id.String()), append(recIDs, rec.String()), append(invIDs, inv.String())
		c := reservation.Customer{Name: "Jackson", Phone: "010-1234-567" + string(rune('0'+i%2))}
		v := reservation.Visit{ReservationID: id, MedicalRecordID: rec, Customer: c, Pet: reservation.Pet{Name: "Coco", Species: "dog"},
			DoctorID: "dr-kim", Slot: slot, Status: reservation.StatusBooked, At: slot.Add(-time.Hour)}
		add(reservation.Stream(id), reservation.Placed{Visit: v})
		add(medicalrecord.Stream(rec), medicalrecord.Opened{MedicalRecordID: rec, ReservationID: id, Status: medicalrecord.StatusOpen, VisitAt: slot})
		add(medicalrecord.Stream(rec), medicalrecord.DiagnosisRecorded{MedicalRecordID: rec, ReservationID: id, Findings: "f", Diagnosis: "d"})
		line := medicalrecord.Line{Code: "CONSULT", Quantity: 1, UnitPrice: money.KRW(15000), LineTotal: money.KRW(15000)}
		add(medicalrecord.Stream(rec), medicalrecord.TreatmentsAdded{MedicalRecordID: rec, ReservationID: id, Items: []medicalrecord.Line{line}, Total: money.KRW(15000)})
		add(medicalrecord.Stream(rec), medicalrecord.Finalized{MedicalRecordID: rec, ReservationID: id, InvoiceID: inv,
			Lines: []medicalrecord.Line{line}, Total: money.KRW(15000), Status: medicalrecord.StatusFinalized})
		b := invoice.Bill{InvoiceID: inv, MedicalRecordID: rec, ReservationID: id, Customer: c, Total: money.KRW(15000),
			Balance: money.KRW(15000), Status: invoice.StatusOpen}
		add(invoice.Stream(inv), invoice.Issued{Bill: b, Lines: []medicalrecord.Line{line}})
		b.Paid, b.Balance, b.Status = money.KRW(15000), money.KRW(0), invoice.StatusPaid
		add(invoice.Stream(inv), invoice.PaymentRecorded{Bill: b, PaymentID: uuid.New(), Amount: money.KRW(15000), Method: "cash"})
		v.Status = reservation.StatusCheckedIn
		add(reservation.Stream(id), reservation.CheckedIn{Visit: v})
	}
	last := src.Events()[len(src.Events())-1].Position
	subs := []projections.Subscriber{visits.Subscriber(seoul), records.Subscriber(seoul), invoices.Subscriber()}
	colls := map[string][]string{visits.Coll: resIDs, records.Coll: recIDs, invoices.Coll: invIDs}
	run := func(batch int) {
		t.Helper()
		for _, sub := range subs {
			r := projectionstest.Start(t, src, s, sub, batch)
			r.WaitFor(t, last)
			r.Stop()
		}
	}
	snapshot := func() map[string]any {
		t.Helper()
		out := map[string]any{}
		for _, sub := range subs {
			for _, id := range colls[sub.Name] {
				d := mustGet(t, s, sub.Name+"~1", sub.Name, id)
				var v any
				if err := json.Unmarshal(d.Body, &v); err != nil {
					t.Fatal(err)
				}
				out[sub.Name+"/"+id] = v
			}
		}
		return out
	}
	run(5)
	want := snapshot()
	for _, sub := range subs {
		commit(t, s, sub.Name+"~1", &projections.Checkpoint{})
	}
	run(3)
	if diff := cmp.Diff(want, snapshot()); diff != "" {
		t.Errorf("redelivery changed the staff read models (-want +got):\n%s", diff)
	}
	ctx := context.Background()
	for key, want := range map[[2]string]int{
		{visits.KeyDay, "2026-12-01"}: 6, {visits.KeyPhone, "01012345671"}: 3, {visits.KeyName, "jackson"}: 6, {visits.KeyPet, "coco"}: 6,
	} {
		vs, err := visits.By(ctx, s, "visits~1", key[0], key[1], 0)
		if err != nil || len(vs) != want {
			t.Errorf("visits by %s=%s: %d, %v; want %d", key[0], key[1], len(vs), err, want)
		}
	}
	r, ok, err := records.Get(ctx, s, "records~1", recIDs[0])
	if err != nil || !ok || r.Status != "finalized" || len(r.History) != 4 || r.History[0].By != "nurse-kim" {
		t.Errorf("record %+v, %v, %v", r, ok, err)
	}
	i, ok, err := invoices.Get(ctx, s, "invoices~1", invIDs[0])
	if err != nil || !ok || i.Balance != 0 || len(i.Payments) != 1 || len(i.Lines) != 1 {
		t.Errorf("invoice %+v, %v, %v", i, ok, err)
	}
}

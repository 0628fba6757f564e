package lookup_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/lookup"
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
	base := lookup.Reservation{
		ID: resID.String(), Status: "booked", Slot: slot1, Day: "2026-12-01", DoctorID: "dr-kim", Reason: "",
		Customer:      lookup.Customer{Name: "Jackson", Phone: "010-1234-5678"},
		Pet:           lookup.Pet{Name: "Coco", Species: "dog"},
		MedicalRecord: lookup.Record{ID: recID.String(), Status: "open"},
		Timeline:      []lookup.TimelineEntry{{Status: "booked", At: t0, Slot: slot1, Reason: "vaccination"}},
	}
	with := func(f func(r *lookup.Reservation)) lookup.Reservation {
		r := base
		r.Timeline = append([]lookup.TimelineEntry(nil), base.Timeline...)
		f(&r)
		return r
	}
	tests := []struct {
		name  string
		given []domain.Event
		want  lookup.Reservation
	}{
		{"placed", []domain.Event{placed}, base},
		{"rescheduled across midnight in Seoul", []domain.Event{placed,
			reservation.Rescheduled{Visit: visit(reservation.StatusBooked, "dr-lee", slot2, t0.Add(time.Hour)), OldDoctorID: "dr-kim", OldSlot: slot1}},
			with(func(r *lookup.Reservation) {
				r.Slot, r.DoctorID, r.Day = slot2, "dr-lee", "2026-12-02"
				r.Timeline = append(r.Timeline, lookup.TimelineEntry{Status: "booked", At: t0.Add(time.Hour), Slot: slot2})
			})},
		{"cancelled voids the record", []domain.Event{placed,
			reservation.Cancelled{Visit: visit(reservation.StatusCancelled, "dr-kim", slot1, t0.Add(time.Hour)), Reason: "sick"},
			medicalrecord.Voided{MedicalRecordID: recID, ReservationID: resID, Reason: "cancelled", Status: medicalrecord.StatusVoided}},
			with(func(r *lookup.Reservation) {
				r.Status, r.MedicalRecord.Status = "cancelled", "voided"
				r.Timeline = append(r.Timeline, lookup.TimelineEntry{Status: "cancelled", At: t0.Add(time.Hour), Slot: slot1, Reason: "sick"})
			})},
		{"examined, billed, part paid", []domain.Event{placed,
			reservation.CheckedIn{Visit: visit(reservation.StatusCheckedIn, "dr-kim", slot1, slot1)},
			medicalrecord.DiagnosisRecorded{MedicalRecordID: recID, ReservationID: resID, Findings: "staff only", Diagnosis: "healthy"},
			medicalrecord.PrescriptionsAdded{MedicalRecordID: recID, ReservationID: resID, Items: []medicalrecord.Prescription{
				{Drug: "Amoxicillin", Dosage: "250mg", Frequency: "twice daily", Days: 7, Notes: "with food"}}},
			medicalrecord.Finalized{MedicalRecordID: recID, ReservationID: resID, InvoiceID: invID, Findings: "staff only", Diagnosis: "healthy", Status: medicalrecord.StatusFinalized},
			invoice.Issued{Bill: bill(30000, 0, 0, invoice.StatusOpen, slot1), Lines: []medicalrecord.Line{
				{Code: "CONSULT", Description: "General consultation", Quantity: 2, UnitPrice: money.KRW(15000), LineTotal: money.KRW(30000)}}},
			invoice.PaymentRecorded{Bill: bill(30000, 10000, 0, invoice.StatusPartiallyPaid, slot1), Amount: money.KRW(10000), Method: "card"},
			reservation.Completed{Visit: visit(reservation.StatusCompleted, "dr-kim", slot1, slot1.Add(time.Hour))}},
			with(func(r *lookup.Reservation) {
				r.Status = "completed"
				r.MedicalRecord = lookup.Record{ID: recID.String(), Status: "finalized", Diagnosis: "healthy", Prescriptions: []lookup.Prescription{
					{Drug: "Amoxicillin", Dosage: "250mg", Frequency: "twice daily", Days: 7, Notes: "with food"}}}
				r.Bill = &lookup.Bill{InvoiceID: invID.String(), Total: 30000, Paid: 10000, Balance: 20000, Currency: "KRW", Status: "partially_paid",
					Lines: []lookup.BillLine{{Code: "CONSULT", Description: "General consultation", Quantity: 2, UnitPrice: 15000, LineTotal: 30000}}}
				r.Timeline = append(r.Timeline,
					lookup.TimelineEntry{Status: "checked_in", At: slot1, Slot: slot1},
					lookup.TimelineEntry{Status: "completed", At: slot1.Add(time.Hour), Slot: slot1})
			})},
		{"record events before the reservation", []domain.Event{
			medicalrecord.Opened{MedicalRecordID: recID, ReservationID: resID, Status: medicalrecord.StatusOpen}, placed},
			base},
		{"a corrected phone moves the phone key", []domain.Event{placed,
			reservation.DetailsCorrected{Visit: func() reservation.Visit {
				v := visit(reservation.StatusBooked, "dr-kim", slot1, t0.Add(time.Hour))
				v.Customer.Phone = "010-9999-0000"
				return v
			}(), OldCustomer: jackson, OldPet: coco, Reason: "typo"}},
			with(func(r *lookup.Reservation) {
				r.Customer.Phone = "010-9999-0000"
				r.Timeline = append(r.Timeline, lookup.TimelineEntry{Status: "booked", At: t0.Add(time.Hour), Slot: slot1, Reason: "typo"})
			})},
		{"no-show", []domain.Event{placed, reservation.NoShow{Visit: visit(reservation.StatusNoShow, "dr-kim", slot1, slot1.Add(time.Hour))}},
			with(func(r *lookup.Reservation) {
				r.Status = "no_show"
				r.Timeline = append(r.Timeline, lookup.TimelineEntry{Status: "no_show", At: slot1.Add(time.Hour), Slot: slot1})
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got lookup.Reservation
			for _, e := range tt.given {
				id, fold := lookup.Fold(e, seoul)
				if id != resID.String() || fold == nil {
					t.Fatalf("%T: folds into %q", e, id)
				}
				fold(&got, projections.Event{})
			}
			got.ID = resID.String()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if k := got.IndexKeys(); k[lookup.KeyPhone] != phone.Normalize(got.Customer.Phone) || k[lookup.KeyDoctorDay] != got.DoctorID+"|"+got.Day {
				t.Errorf("index keys %v", k)
			}
		})
	}
	if _, fold := lookup.Fold(schedule.DayClosed{}, seoul); fold != nil {
		t.Error("a schedule event changes the lookup")
	}
}

func TestTimelineStaysShort(t *testing.T) {
	t.Parallel()
	var r lookup.Reservation
	for i := 0; i < 50; i++ {
		_, fold := lookup.Fold(reservation.Rescheduled{Visit: visit(reservation.StatusBooked, "dr-kim", slot1.Add(time.Duration(i)*time.Hour), t0)}, seoul)
		fold(&r, projections.Event{})
	}
	if len(r.Timeline) != 20 || !r.Timeline[19].Slot.Equal(slot1.Add(49*time.Hour)) {
		t.Errorf("timeline has %d entries ending %v; want the last 20", len(r.Timeline), r.Timeline[len(r.Timeline)-1])
	}
}

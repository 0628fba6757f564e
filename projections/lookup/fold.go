package lookup

import (
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
)

// timelineMax bounds a lookup document's timeline (a short history, not an
// audit log: the events are that).
const timelineMax = 20

// Fold returns the reservation an event is about and how it changes
// the lookup document (nil when it does not).
func Fold(e domain.Event, loc *time.Location) (string, func(*Reservation, projections.Event)) {
	visit := func(v reservation.Visit, reason string) func(*Reservation, projections.Event) {
		return func(r *Reservation, _ projections.Event) {
			r.Status, r.Slot, r.DoctorID = string(v.Status), v.Slot.UTC(), v.DoctorID
			r.Day = v.Slot.In(loc).Format(time.DateOnly)
			r.Customer = Customer{Name: v.Customer.Name, Phone: v.Customer.Phone}
			r.Pet = Pet{Name: v.Pet.Name, Species: v.Pet.Species}
			if r.MedicalRecord.ID == "" {
				r.MedicalRecord.ID = v.MedicalRecordID.String()
			}
			if r.MedicalRecord.Status == "" {
				r.MedicalRecord.Status = string(medicalrecord.StatusOpen)
			}
			r.Timeline = append(r.Timeline, TimelineEntry{Status: string(v.Status), At: v.At.UTC(), Slot: v.Slot.UTC(), Reason: reason})
			if n := len(r.Timeline); n > timelineMax {
				r.Timeline = append([]TimelineEntry(nil), r.Timeline[n-timelineMax:]...)
			}
		}
	}
	record := func(id string, status medicalrecord.Status, diagnosis string) func(*Reservation, projections.Event) {
		return func(r *Reservation, _ projections.Event) {
			r.MedicalRecord.ID = id
			if status != "" {
				r.MedicalRecord.Status = string(status)
			}
			if diagnosis != "" {
				r.MedicalRecord.Diagnosis = diagnosis
			}
		}
	}
	bill := func(b invoice.Bill, lines []medicalrecord.Line) func(*Reservation, projections.Event) {
		return func(r *Reservation, _ projections.Event) {
			var kept []BillLine
			if r.Bill != nil {
				kept = r.Bill.Lines
			}
			r.Bill = &Bill{
				InvoiceID: b.InvoiceID.String(), Total: b.Total.Amount, Discounted: b.Discounted.Amount, Paid: b.Paid.Amount, Refunded: b.Refunded.Amount,
				Balance: b.Balance.Amount, Currency: b.Total.Currency, Status: string(b.Status), Lines: kept,
			}
			if lines != nil {
				r.Bill.Lines = make([]BillLine, 0, len(lines))
				for _, l := range lines {
					r.Bill.Lines = append(r.Bill.Lines, BillLine{Code: l.Code, Description: l.Description, Quantity: l.Quantity,
						UnitPrice: l.UnitPrice.Amount, LineTotal: l.LineTotal.Amount})
				}
			}
		}
	}
	switch e := e.(type) {
	case reservation.Placed:
		return e.ReservationID.String(), visit(e.Visit, e.Reason)
	case reservation.Rescheduled:
		return e.ReservationID.String(), visit(e.Visit, "")
	case reservation.Cancelled:
		return e.ReservationID.String(), visit(e.Visit, e.Reason)
	case reservation.CheckedIn:
		return e.ReservationID.String(), visit(e.Visit, "")
	case reservation.Completed:
		return e.ReservationID.String(), visit(e.Visit, "")
	case reservation.NoShow:
		return e.ReservationID.String(), visit(e.Visit, "")
	case reservation.DetailsCorrected:
		// The document's phone key follows: the old number no longer finds
		// the visit, the new one does.
		return e.ReservationID.String(), visit(e.Visit, e.Reason)
	case medicalrecord.Reopened:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), e.Status, "")
	case medicalrecord.Opened:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), e.Status, "")
	case medicalrecord.DiagnosisRecorded:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), "", e.Diagnosis)
	case medicalrecord.Finalized:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), e.Status, e.Diagnosis)
	case medicalrecord.Voided:
		return e.ReservationID.String(), record(e.MedicalRecordID.String(), e.Status, "")
	case medicalrecord.PrescriptionsAdded:
		return e.ReservationID.String(), func(r *Reservation, ev projections.Event) {
			record(e.MedicalRecordID.String(), "", "")(r, ev)
			for _, p := range e.Items {
				r.MedicalRecord.Prescriptions = append(r.MedicalRecord.Prescriptions, Prescription{Drug: p.Drug, Dosage: p.Dosage,
					Frequency: p.Frequency, Days: p.Days, Notes: p.Notes})
			}
		}
	case invoice.Issued:
		lines := e.Lines
		if lines == nil {
			lines = []medicalrecord.Line{}
		}
		return e.ReservationID.String(), bill(e.Bill, lines)
	case invoice.PaymentRecorded:
		return e.ReservationID.String(), bill(e.Bill, nil)
	case invoice.PaymentRefunded:
		return e.ReservationID.String(), bill(e.Bill, nil)
	case invoice.DiscountGranted:
		return e.ReservationID.String(), bill(e.Bill, nil)
	case invoice.Voided:
		return e.ReservationID.String(), bill(e.Bill, nil)
	case invoice.CustomerChanged:
		return e.ReservationID.String(), bill(e.Bill, nil)
	}
	return "", nil
}

// Ignored lists the event types the lookup does not fold, each with why
// (TestEveryReadModelHandlesEveryEventType keeps the list and Fold in step
// with the domain). What the lookup leaves out is staff-only
// (docs/read-side.md): the customer's document never holds it.
func Ignored() map[string]string {
	out := projections.IgnoreAllBut(append(append(reservation.Types(), medicalrecord.Types()...), invoice.Types()...),
		"a schedule event: the reservation's own events carry its slot")
	lines := "treatment lines before the invoice are staff-only; the customer sees the invoice's lines"
	for _, t := range []string{medicalrecord.TypeTreatmentsAdded, medicalrecord.TypeLineRemoved, medicalrecord.TypeLineCorrected} {
		out[t] = lines
	}
	out[medicalrecord.TypeAddendumAdded] = "addenda are staff-only"
	out[medicalrecord.TypeVisitTimeChanged] = "ReservationRescheduled, which the record's follows, carries the new slot"
	out[medicalrecord.TypePatientCorrected] = "ReservationDetailsCorrected, which the record's follows, carries the new details"
	return out
}

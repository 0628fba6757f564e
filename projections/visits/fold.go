package visits

import (
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
)

// Fold returns the reservation an event is about and how it changes the
// visit's document (nil when it does not); loc is the clinic's zone (for
// the day a slot falls on). Every event it folds names its reservation.
func Fold(e domain.Event, loc *time.Location) (string, func(*Visit, projections.Event)) {
	visit := func(v reservation.Visit, reason string) (string, func(*Visit, projections.Event)) {
		return v.ReservationID.String(), func(d *Visit, ev projections.Event) {
			d.Status, d.Slot, d.DoctorID = string(v.Status), v.Slot.UTC(), v.DoctorID
			d.Day = v.Slot.In(loc).Format(time.DateOnly)
			d.CustomerName, d.CustomerPhone, d.PetName, d.PetSpecies = v.Customer.Name, v.Customer.Phone, v.Pet.Name, v.Pet.Species
			d.MedicalRecordID = v.MedicalRecordID.String()
			if d.RecordStatus == "" {
				d.RecordStatus = string(medicalrecord.StatusOpen)
			}
			d.History = append(d.History, StatusChange{Event: ev.Type, Status: string(v.Status), At: v.At.UTC(),
				By: ev.Actor(v.By), Slot: v.Slot.UTC(), DoctorID: v.DoctorID, Reason: reason})
			if n := len(d.History); n > historyMax {
				d.History = append([]StatusChange(nil), d.History[n-historyMax:]...)
			}
		}
	}
	record := func(reservationID string, status medicalrecord.Status) (string, func(*Visit, projections.Event)) {
		return reservationID, func(d *Visit, _ projections.Event) {
			if status != "" {
				d.RecordStatus = string(status)
			}
		}
	}
	bill := func(b invoice.Bill) (string, func(*Visit, projections.Event)) {
		return b.ReservationID.String(), func(d *Visit, _ projections.Event) {
			d.Bill = &Bill{InvoiceID: b.InvoiceID.String(), Currency: b.Total.Currency, Total: b.Total.Amount,
				Discounted: b.Discounted.Amount, Paid: b.Paid.Amount, Refunded: b.Refunded.Amount, Balance: b.Balance.Amount,
				Status: string(b.Status)}
		}
	}
	switch e := e.(type) {
	case reservation.Placed:
		id, f := visit(e.Visit, e.Reason)
		return id, func(d *Visit, ev projections.Event) {
			f(d, ev)
			d.Reason, d.BookedAt = e.Reason, e.At.UTC()
		}
	case reservation.Rescheduled:
		return visit(e.Visit, "")
	case reservation.Cancelled:
		return visit(e.Visit, e.Reason)
	case reservation.CheckedIn:
		return visit(e.Visit, "")
	case reservation.Completed:
		return visit(e.Visit, "")
	case reservation.NoShow:
		return visit(e.Visit, "")
	case reservation.DetailsCorrected:
		// The document's phone, name and pet keys follow: the search finds
		// the visit under the new details only.
		return visit(e.Visit, e.Reason)
	case medicalrecord.Opened:
		return record(e.ReservationID.String(), e.Status)
	case medicalrecord.Finalized:
		return record(e.ReservationID.String(), e.Status)
	case medicalrecord.Voided:
		return record(e.ReservationID.String(), e.Status)
	case medicalrecord.Reopened:
		return record(e.ReservationID.String(), e.Status)
	case invoice.Issued:
		return bill(e.Bill)
	case invoice.PaymentRecorded:
		return bill(e.Bill)
	case invoice.PaymentRefunded:
		return bill(e.Bill)
	case invoice.DiscountGranted:
		return bill(e.Bill)
	case invoice.Voided:
		return bill(e.Bill)
	case invoice.CustomerChanged:
		return bill(e.Bill)
	}
	return "", nil
}

// Ignored lists the event types the visits read model does not fold, each
// with why (TestEveryReadModelHandlesEveryEventType keeps the list and
// Fold in step with the domain).
func Ignored() map[string]string {
	out := projections.IgnoreAllBut(append(append(reservation.Types(), medicalrecord.Types()...), invoice.Types()...),
		"a schedule event: the reservation's own events carry its slot")
	clinical := "the record's clinical content is the records read model's; a visit shows the record's status only"
	for _, t := range []string{medicalrecord.TypeDiagnosisRecorded, medicalrecord.TypeTreatmentsAdded,
		medicalrecord.TypePrescriptionsAdded, medicalrecord.TypeAddendumAdded, medicalrecord.TypeLineRemoved,
		medicalrecord.TypeLineCorrected} {
		out[t] = clinical
	}
	out[medicalrecord.TypeVisitTimeChanged] = "ReservationRescheduled, which the record's follows, carries the new slot"
	out[medicalrecord.TypePatientCorrected] = "ReservationDetailsCorrected, which the record's follows, carries the new details"
	return out
}

package records

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/projections"
)

// Fold returns the record an event is about and how it changes the
// record's document (nil when it does not); loc is the clinic's zone, in
// which the history words times.
func Fold(e domain.Event, loc *time.Location) (string, func(*Record, projections.Event)) {
	local := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	with := func(id, reservationID string, at time.Time, by string, what string, f func(*Record, string)) (string, func(*Record, projections.Event)) {
		return id, func(r *Record, ev projections.Event) {
			actor := ev.Actor(by)
			if r.ReservationID == "" {
				r.ReservationID = reservationID
			}
			if r.Status == "" {
				r.Status = string(medicalrecord.StatusOpen)
			}
			if r.Lines == nil {
				r.Lines, r.Prescriptions, r.Addenda = []Line{}, []Prescription{}, []Addendum{}
			}
			f(r, actor)
			r.History = append(r.History, Change{Event: ev.Type, What: what, At: at.UTC(), By: actor, Position: ev.Position.Commit})
			if n := len(r.History); n > historyMax {
				r.History = append([]Change(nil), r.History[n-historyMax:]...)
			}
		}
	}
	switch e := e.(type) {
	case medicalrecord.Opened:
		what := fmt.Sprintf("record opened for %s (%s), visit %s with %s", e.Pet.Name, e.Pet.Species, local(e.VisitAt), e.DoctorID)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, _ string) {
			r.Visit = Visit{DoctorID: e.DoctorID, At: e.VisitAt.UTC(), Reason: e.Reason, CustomerName: e.Customer.Name,
				CustomerPhone: e.Customer.Phone, PetName: e.Pet.Name, PetSpecies: e.Pet.Species}
		})
	case medicalrecord.DiagnosisRecorded:
		what := "findings and diagnosis recorded: " + e.Diagnosis
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, by string) {
			r.Findings, r.Diagnosis, r.DiagnosedAt, r.DiagnosedBy = e.Findings, e.Diagnosis, e.At.UTC(), by
		})
	case medicalrecord.TreatmentsAdded:
		parts := make([]string, 0, len(e.Items))
		for _, l := range e.Items {
			parts = append(parts, fmt.Sprintf("%s x%d (%d %s)", l.Code, l.Quantity, l.LineTotal.Amount, l.LineTotal.Currency))
		}
		what := fmt.Sprintf("treatments added: %s; total %d %s", strings.Join(parts, ", "), e.Total.Amount, e.Total.Currency)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, by string) {
			for _, l := range e.Items {
				r.LinesAdded++
				nl := lineOf(l, e.At, by)
				nl.No = r.LinesAdded
				r.Lines = append(r.Lines, nl)
			}
			r.Total, r.Currency = e.Total.Amount, e.Total.Currency
		})
	case medicalrecord.TreatmentLineRemoved:
		what := fmt.Sprintf("line %d removed (%s x%d, %d %s): %s; total %d %s", e.LineNo, e.Removed.Code, e.Removed.Quantity,
			e.Removed.LineTotal.Amount, e.Removed.LineTotal.Currency, e.Reason, e.Total.Amount, e.Total.Currency)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, _ string) {
			r.Lines = slices.DeleteFunc(r.Lines, func(l Line) bool { return l.No == e.LineNo })
			r.Total = e.Total.Amount
		})
	case medicalrecord.TreatmentLineCorrected:
		what := fmt.Sprintf("line %d corrected from %s x%d (%d %s) to %s x%d (%d %s); total %d %s", e.LineNo,
			e.Old.Code, e.Old.Quantity, e.Old.LineTotal.Amount, e.Old.LineTotal.Currency,
			e.Line.Code, e.Line.Quantity, e.Line.LineTotal.Amount, e.Line.LineTotal.Currency, e.Total.Amount, e.Total.Currency)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, by string) {
			for i := range r.Lines {
				if r.Lines[i].No == e.LineNo {
					nl := lineOf(e.Line, e.At, by)
					nl.No = e.LineNo
					r.Lines[i] = nl
				}
			}
			r.Total = e.Total.Amount
		})
	case medicalrecord.Reopened:
		what := fmt.Sprintf("reopened: invoice %s voided: %s", e.VoidedInvoiceID, e.Reason)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, _ string) {
			r.Status, r.InvoiceID, r.FinalizedAt, r.FinalizedBy = string(e.Status), "", time.Time{}, ""
			r.VoidedInvoices = append(r.VoidedInvoices, e.VoidedInvoiceID.String())
		})
	case medicalrecord.PatientDetailsCorrected:
		what := fmt.Sprintf("patient corrected from %s (%s), owner %s %s to %s (%s), owner %s %s",
			e.OldPet.Name, e.OldPet.Species, e.OldCustomer.Name, e.OldCustomer.Phone,
			e.Pet.Name, e.Pet.Species, e.Customer.Name, e.Customer.Phone)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, _ string) {
			r.Visit.CustomerName, r.Visit.CustomerPhone = e.Customer.Name, e.Customer.Phone
			r.Visit.PetName, r.Visit.PetSpecies = e.Pet.Name, e.Pet.Species
		})
	case medicalrecord.PrescriptionsAdded:
		parts := make([]string, 0, len(e.Items))
		for _, p := range e.Items {
			parts = append(parts, fmt.Sprintf("%s %s %s for %d days", p.Drug, p.Dosage, p.Frequency, p.Days))
		}
		what := "prescribed: " + strings.Join(parts, "; ")
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, by string) {
			for _, p := range e.Items {
				r.Prescriptions = append(r.Prescriptions, Prescription{Drug: p.Drug, Dosage: p.Dosage, Frequency: p.Frequency,
					Days: p.Days, Notes: p.Notes, At: e.At.UTC(), By: by})
			}
		})
	case medicalrecord.Finalized:
		what := fmt.Sprintf("finalised and billed as invoice %s: total %d %s", e.InvoiceID, e.Total.Amount, e.Total.Currency)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, by string) {
			r.Status, r.InvoiceID, r.FinalizedAt, r.FinalizedBy = string(e.Status), e.InvoiceID.String(), e.At.UTC(), by
			r.Findings, r.Diagnosis, r.Total, r.Currency = e.Findings, e.Diagnosis, e.Total.Amount, e.Total.Currency
			r.Lines = finalLines(r.Lines, e.Lines, e.At, by)
			if r.Visit.DoctorID == "" {
				r.Visit = Visit{DoctorID: e.DoctorID, At: e.VisitAt.UTC(), CustomerName: e.Customer.Name,
					CustomerPhone: e.Customer.Phone, PetName: e.Pet.Name, PetSpecies: e.Pet.Species}
			}
		})
	case medicalrecord.AddendumAdded:
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, "addendum: "+e.Text, func(r *Record, by string) {
			r.Addenda = append(r.Addenda, Addendum{Text: e.Text, At: e.At.UTC(), By: by})
		})
	case medicalrecord.Voided:
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, "voided: "+e.Reason, func(r *Record, _ string) {
			r.Status, r.VoidReason = string(e.Status), e.Reason
		})
	case medicalrecord.VisitTimeChanged:
		what := fmt.Sprintf("visit moved from %s to %s with %s", local(e.OldVisitAt), local(e.VisitAt), e.DoctorID)
		return with(e.MedicalRecordID.String(), e.ReservationID.String(), e.At, e.By, what, func(r *Record, _ string) {
			r.Visit.At, r.Visit.DoctorID = e.VisitAt.UTC(), e.DoctorID
		})
	}
	return "", nil
}

// Ignored lists the event types the records read model does not fold,
// each with why (TestEveryReadModelHandlesEveryEventType keeps the list
// and Fold in step with the domain): it reads the record streams only.
func Ignored() map[string]string {
	return projections.IgnoreAllBut(medicalrecord.Types(), "not a record event: the record's events carry all it shows")
}

func lineOf(l medicalrecord.Line, at time.Time, by string) Line {
	return Line{Code: l.Code, Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice.Amount,
		LineTotal: l.LineTotal.Amount, Currency: l.LineTotal.Currency, AddedAt: at.UTC(), AddedBy: by}
}

// finalLines takes the finalised lines as the record's (they are what was
// billed), keeping when and by whom each was added where the line is the
// one already folded at that place.
func finalLines(had []Line, final []medicalrecord.Line, at time.Time, by string) []Line {
	out := make([]Line, 0, len(final))
	for i, l := range final {
		nl := lineOf(l, at, by)
		if i < len(had) && had[i].Code == l.Code && had[i].Quantity == l.Quantity {
			nl.AddedAt, nl.AddedBy, nl.No = had[i].AddedAt, had[i].AddedBy, had[i].No
		}
		out = append(out, nl)
	}
	return out
}

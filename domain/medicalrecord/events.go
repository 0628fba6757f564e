package medicalrecord

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// Stored event type names. Never change one: it is in the stored data.
const (
	TypeOpened             = "MedicalRecordOpened"
	TypeDiagnosisRecorded  = "DiagnosisRecorded"
	TypeTreatmentsAdded    = "TreatmentsAdded"
	TypePrescriptionsAdded = "PrescriptionsAdded"
	TypeFinalized          = "MedicalRecordFinalized"
	TypeAddendumAdded      = "AddendumAdded"
	TypeVoided             = "MedicalRecordVoided"
	TypeVisitTimeChanged   = "VisitTimeChanged"
	TypeLineRemoved        = "TreatmentLineRemoved"
	TypeLineCorrected      = "TreatmentLineCorrected"
	TypeReopened           = "MedicalRecordReopened"
	TypePatientCorrected   = "PatientDetailsCorrected"
)

// StreamPrefix begins the name of every medical record stream.
const StreamPrefix = "medicalrecord-"

// Stream names the stream of medical record id.
func Stream(id uuid.UUID) string { return StreamPrefix + id.String() }

// InvoiceID is the ID of the invoice issued when record id is finalised.
// It is derived, so a retried finalisation issues the same invoice.
func InvoiceID(id uuid.UUID) uuid.UUID { return uuid.NewSHA1(id, []byte("invoice")) }

// Status is where a record stands. The strings are stored.
type Status string

// Statuses of a record.
const (
	StatusOpen      Status = "open"
	StatusFinalized Status = "finalized"
	StatusVoided    Status = "voided"
)

// Reasons a record is voided.
const (
	VoidCancelled = "cancelled"
	VoidNoShow    = "no_show"
)

// Line is one priced treatment. JSON tags are the stored schema.
type Line struct {
	Code        string      `json:"code"`
	Description string      `json:"description"`
	Quantity    int         `json:"quantity"`
	UnitPrice   money.Money `json:"unitPrice"`
	LineTotal   money.Money `json:"lineTotal"`
}

// Prescription is one prescribed drug.
type Prescription struct {
	Drug      string `json:"drug"`
	Dosage    string `json:"dosage"`
	Frequency string `json:"frequency"`
	Days      int    `json:"days"`
	Notes     string `json:"notes"`
}

// Opened: the record of a placed reservation was opened.
type Opened struct {
	MedicalRecordID uuid.UUID            `json:"medicalRecordId"`
	ReservationID   uuid.UUID            `json:"reservationId"`
	DoctorID        string               `json:"doctorId"`
	Customer        reservation.Customer `json:"customer"`
	Pet             reservation.Pet      `json:"pet"`
	VisitAt         time.Time            `json:"visitAt"`
	Reason          string               `json:"reason"`
	Status          Status               `json:"status"`
	At              time.Time            `json:"at"`
	By              string               `json:"by"`
}

// DiagnosisRecorded: the doctor's findings and diagnosis (a later one
// replaces an earlier one while the record is open).
type DiagnosisRecorded struct {
	MedicalRecordID uuid.UUID `json:"medicalRecordId"`
	ReservationID   uuid.UUID `json:"reservationId"`
	Findings        string    `json:"findings"`
	Diagnosis       string    `json:"diagnosis"`
	At              time.Time `json:"at"`
	By              string    `json:"by"`
}

// TreatmentsAdded: priced treatments; Total is the record's total after them.
type TreatmentsAdded struct {
	MedicalRecordID uuid.UUID   `json:"medicalRecordId"`
	ReservationID   uuid.UUID   `json:"reservationId"`
	Items           []Line      `json:"items"`
	Total           money.Money `json:"total"`
	At              time.Time   `json:"at"`
	By              string      `json:"by"`
}

// PrescriptionsAdded: drugs prescribed.
type PrescriptionsAdded struct {
	MedicalRecordID uuid.UUID      `json:"medicalRecordId"`
	ReservationID   uuid.UUID      `json:"reservationId"`
	Items           []Prescription `json:"items"`
	At              time.Time      `json:"at"`
	By              string         `json:"by"`
}

// Finalized: the record is locked and billed as invoice InvoiceID.
type Finalized struct {
	MedicalRecordID uuid.UUID            `json:"medicalRecordId"`
	ReservationID   uuid.UUID            `json:"reservationId"`
	InvoiceID       uuid.UUID            `json:"invoiceId"`
	DoctorID        string               `json:"doctorId"`
	Customer        reservation.Customer `json:"customer"`
	Pet             reservation.Pet      `json:"pet"`
	VisitAt         time.Time            `json:"visitAt"`
	Findings        string               `json:"findings"`
	Diagnosis       string               `json:"diagnosis"`
	Lines           []Line               `json:"lines"`
	Total           money.Money          `json:"total"`
	Status          Status               `json:"status"`
	At              time.Time            `json:"at"`
	By              string               `json:"by"`
}

// AddendumAdded: a note added to the record; after finalising, the only way
// to correct it.
type AddendumAdded struct {
	MedicalRecordID uuid.UUID `json:"medicalRecordId"`
	ReservationID   uuid.UUID `json:"reservationId"`
	Text            string    `json:"text"`
	At              time.Time `json:"at"`
	By              string    `json:"by"`
}

// Voided: the visit will not take place; the record is never billed.
type Voided struct {
	MedicalRecordID uuid.UUID `json:"medicalRecordId"`
	ReservationID   uuid.UUID `json:"reservationId"`
	Reason          string    `json:"reason"`
	Status          Status    `json:"status"`
	At              time.Time `json:"at"`
	By              string    `json:"by"`
}

// VisitTimeChanged: the visit was rescheduled.
type VisitTimeChanged struct {
	MedicalRecordID uuid.UUID `json:"medicalRecordId"`
	ReservationID   uuid.UUID `json:"reservationId"`
	DoctorID        string    `json:"doctorId"`
	OldVisitAt      time.Time `json:"oldVisitAt"`
	VisitAt         time.Time `json:"visitAt"`
	At              time.Time `json:"at"`
	By              string    `json:"by"`
}

// TreatmentLineRemoved: line LineNo (its 1-based place among all lines
// ever added) was taken off the open record; Removed is what it was, Total
// the record's total after.
type TreatmentLineRemoved struct {
	MedicalRecordID uuid.UUID   `json:"medicalRecordId"`
	ReservationID   uuid.UUID   `json:"reservationId"`
	LineNo          int         `json:"line"`
	Removed         Line        `json:"removed"`
	Reason          string      `json:"reason"`
	Total           money.Money `json:"total"`
	At              time.Time   `json:"at"`
	By              string      `json:"by"`
}

// TreatmentLineCorrected: line LineNo of the open record was replaced (it
// keeps its number): Old is what it was, Line what it is, Total the
// record's total after.
type TreatmentLineCorrected struct {
	MedicalRecordID uuid.UUID   `json:"medicalRecordId"`
	ReservationID   uuid.UUID   `json:"reservationId"`
	LineNo          int         `json:"line"`
	Old             Line        `json:"old"`
	Line            Line        `json:"item"`
	Total           money.Money `json:"total"`
	At              time.Time   `json:"at"`
	By              string      `json:"by"`
}

// Reopened: the invoice of the finalised record was voided; the record is
// open again, to be corrected and finalised under the next invoice ID.
type Reopened struct {
	MedicalRecordID uuid.UUID `json:"medicalRecordId"`
	ReservationID   uuid.UUID `json:"reservationId"`
	VoidedInvoiceID uuid.UUID `json:"voidedInvoiceId"`
	Reason          string    `json:"reason"`
	Status          Status    `json:"status"`
	At              time.Time `json:"at"`
	By              string    `json:"by"`
}

// PatientDetailsCorrected: the record follows a correction of the visit's
// customer or pet on its reservation.
type PatientDetailsCorrected struct {
	MedicalRecordID uuid.UUID            `json:"medicalRecordId"`
	ReservationID   uuid.UUID            `json:"reservationId"`
	Customer        reservation.Customer `json:"customer"`
	Pet             reservation.Pet      `json:"pet"`
	OldCustomer     reservation.Customer `json:"oldCustomer"`
	OldPet          reservation.Pet      `json:"oldPet"`
	At              time.Time            `json:"at"`
	By              string               `json:"by"`
}

func (TreatmentLineRemoved) EventType() string    { return TypeLineRemoved }
func (TreatmentLineCorrected) EventType() string  { return TypeLineCorrected }
func (Reopened) EventType() string                { return TypeReopened }
func (PatientDetailsCorrected) EventType() string { return TypePatientCorrected }

func (Opened) EventType() string             { return TypeOpened }
func (DiagnosisRecorded) EventType() string  { return TypeDiagnosisRecorded }
func (TreatmentsAdded) EventType() string    { return TypeTreatmentsAdded }
func (PrescriptionsAdded) EventType() string { return TypePrescriptionsAdded }
func (Finalized) EventType() string          { return TypeFinalized }
func (AddendumAdded) EventType() string      { return TypeAddendumAdded }
func (Voided) EventType() string             { return TypeVoided }
func (VisitTimeChanged) EventType() string   { return TypeVisitTimeChanged }

// ErrUnknownType: Decode was given a type this package does not define.
var ErrUnknownType = fmt.Errorf("medicalrecord: unknown event type")

// Types lists the stored type names of this package's events.
func Types() []string {
	return []string{TypeOpened, TypeDiagnosisRecorded, TypeTreatmentsAdded, TypePrescriptionsAdded,
		TypeFinalized, TypeAddendumAdded, TypeVoided, TypeVisitTimeChanged,
		TypeLineRemoved, TypeLineCorrected, TypeReopened, TypePatientCorrected}
}

// Decode turns a stored event into its struct (a value, not a pointer).
// It returns ErrUnknownType for a type not listed in Types.
func Decode(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case TypeOpened:
		return domain.Unmarshal[Opened](data)
	case TypeDiagnosisRecorded:
		return domain.Unmarshal[DiagnosisRecorded](data)
	case TypeTreatmentsAdded:
		return domain.Unmarshal[TreatmentsAdded](data)
	case TypePrescriptionsAdded:
		return domain.Unmarshal[PrescriptionsAdded](data)
	case TypeFinalized:
		return domain.Unmarshal[Finalized](data)
	case TypeAddendumAdded:
		return domain.Unmarshal[AddendumAdded](data)
	case TypeVoided:
		return domain.Unmarshal[Voided](data)
	case TypeVisitTimeChanged:
		return domain.Unmarshal[VisitTimeChanged](data)
	case TypeLineRemoved:
		return domain.Unmarshal[TreatmentLineRemoved](data)
	case TypeLineCorrected:
		return domain.Unmarshal[TreatmentLineCorrected](data)
	case TypeReopened:
		return domain.Unmarshal[Reopened](data)
	case TypePatientCorrected:
		return domain.Unmarshal[PatientDetailsCorrected](data)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownType, eventType)
}

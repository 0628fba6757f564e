package invoice

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// Stored event type names. Never change one: it is in the stored data.
const (
	TypeIssued          = "InvoiceIssued"
	TypePaymentRecorded = "PaymentRecorded"
	TypePaymentRefunded = "PaymentRefunded"
	TypeDiscountGranted = "DiscountGranted"
	TypeVoided          = "InvoiceVoided"
	TypeCustomerChanged = "InvoiceCustomerChanged"
)

// StreamPrefix begins the name of every invoice stream.
const StreamPrefix = "invoice-"

// Stream names the stream of invoice id.
func Stream(id uuid.UUID) string { return StreamPrefix + id.String() }

// Status is where an invoice stands. The strings are stored.
type Status string

// Statuses of an invoice.
const (
	StatusOpen          Status = "open"           // nothing paid
	StatusPartiallyPaid Status = "partially_paid" // some paid, balance left
	StatusPaid          Status = "paid"           // balance zero
	StatusRefunded      Status = "refunded"       // all that was paid was refunded
	StatusVoided        Status = "voided"         // cancelled unpaid; the record is billed again
)

// Payment methods.
const (
	MethodCard     = "card"
	MethodCash     = "cash"
	MethodTransfer = "transfer"
	MethodMobile   = "mobile"
)

// Methods lists the payment methods, in the order a message names them.
func Methods() []string { return []string{MethodCard, MethodCash, MethodTransfer, MethodMobile} }

// ValidMethod reports whether m is one of Methods.
func ValidMethod(m string) bool { return slices.Contains(Methods(), m) }

// Bill is what every invoice event carries: the IDs and the totals after
// the event. Paid is net of refunds; Total is net of discounts
// (Discounted sums them); Balance is Total minus Paid.
type Bill struct {
	InvoiceID       uuid.UUID            `json:"invoiceId"`
	MedicalRecordID uuid.UUID            `json:"medicalRecordId"`
	ReservationID   uuid.UUID            `json:"reservationId"`
	Customer        reservation.Customer `json:"customer"`
	Total           money.Money          `json:"total"`
	Paid            money.Money          `json:"paid"`
	Refunded        money.Money          `json:"refunded"`
	Balance         money.Money          `json:"balance"`
	// Discounted is left out until a discount is granted (and in every
	// event stored before discounts existed): read it as zero.
	Discounted money.Money `json:"discounted,omitzero"`
	Status     Status      `json:"status"`
	At         time.Time   `json:"at"`
	By         string      `json:"by"`
}

// Issued: a finalised medical record was billed.
type Issued struct {
	Bill
	Pet      reservation.Pet      `json:"pet"`
	DoctorID string               `json:"doctorId"`
	Lines    []medicalrecord.Line `json:"lines"`
}

// PaymentRecorded: the customer paid Amount.
type PaymentRecorded struct {
	Bill
	PaymentID uuid.UUID   `json:"paymentId"`
	Amount    money.Money `json:"amount"`
	Method    string      `json:"method"`
}

// PaymentRefunded: Amount was paid back.
type PaymentRefunded struct {
	Bill
	RefundID uuid.UUID   `json:"refundId"`
	Amount   money.Money `json:"amount"`
	Method   string      `json:"method"`
	Reason   string      `json:"reason"`
}

// DiscountGranted: what is owed was lowered by Amount.
type DiscountGranted struct {
	Bill
	Pet        reservation.Pet `json:"pet"` // so the customer's message can name the visit
	DiscountID uuid.UUID       `json:"discountId"`
	Amount     money.Money     `json:"amount"`
	Reason     string          `json:"reason"`
}

// Voided: the unpaid invoice is cancelled; its record is reopened and
// billed again under a new invoice.
type Voided struct {
	Bill
	Pet    reservation.Pet `json:"pet"`
	Reason string          `json:"reason"`
}

// CustomerChanged: the bill follows a correction of the visit's customer
// or pet; Bill.Customer and Pet are the new ones. Pet is absent in events
// stored before it was carried (the pet was then unchanged): read it as
// the invoice's pet.
type CustomerChanged struct {
	Bill
	OldCustomer reservation.Customer `json:"oldCustomer"`
	Pet         reservation.Pet      `json:"pet,omitzero"`
	OldPet      reservation.Pet      `json:"oldPet,omitzero"`
}

func (DiscountGranted) EventType() string { return TypeDiscountGranted }
func (Voided) EventType() string          { return TypeVoided }
func (CustomerChanged) EventType() string { return TypeCustomerChanged }

func (Issued) EventType() string          { return TypeIssued }
func (PaymentRecorded) EventType() string { return TypePaymentRecorded }
func (PaymentRefunded) EventType() string { return TypePaymentRefunded }

// ErrUnknownType: Decode was given a type this package does not define.
var ErrUnknownType = fmt.Errorf("invoice: unknown event type")

// Types lists the stored type names of this package's events.
func Types() []string {
	return []string{TypeIssued, TypePaymentRecorded, TypePaymentRefunded, TypeDiscountGranted, TypeVoided, TypeCustomerChanged}
}

// Decode turns a stored event into its struct (a value, not a pointer).
// It returns ErrUnknownType for a type not listed in Types.
func Decode(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case TypeIssued:
		return domain.Unmarshal[Issued](data)
	case TypePaymentRecorded:
		return domain.Unmarshal[PaymentRecorded](data)
	case TypePaymentRefunded:
		return domain.Unmarshal[PaymentRefunded](data)
	case TypeDiscountGranted:
		return domain.Unmarshal[DiscountGranted](data)
	case TypeVoided:
		return domain.Unmarshal[Voided](data)
	case TypeCustomerChanged:
		return domain.Unmarshal[CustomerChanged](data)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownType, eventType)
}

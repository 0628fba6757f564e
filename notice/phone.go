package notice

import (
	"log/slog"

	"github.com/vetclinic/clinic/domain/phone"
)

// Phone is a customer's phone number. It is needed to deliver a message, but
// it never appears whole in a log: String and LogValue mask it.
type Phone string

// Masked returns the number as phone.Mask shows it: every digit but the
// last four replaced by '*', its separators kept, so "010-1234-5678"
// becomes "***-****-5678".
func (p Phone) Masked() string { return phone.Mask(string(p)) }

// String returns the masked number, so that a stray %v never leaks it.
func (p Phone) String() string { return p.Masked() }

// LogValue logs the masked number.
func (p Phone) LogValue() slog.Value { return slog.StringValue(p.Masked()) }

package notice

import (
	"log/slog"
	"strings"
)

// Phone is a customer's phone number. It is needed to deliver a message, but
// it never appears whole in a log: String and LogValue mask it.
type Phone string

// Masked returns the number with every digit but the last four replaced by
// '*', keeping its separators: "010-1234-5678" becomes "***-****-5678".
func (p Phone) Masked() string {
	digits := 0
	for _, r := range p {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	var b strings.Builder
	seen := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			seen++
			if digits-seen < 4 && digits > 4 {
				b.WriteRune(r)
			} else {
				b.WriteByte('*')
			}
		case r == '-' || r == ' ' || r == '+' || r == '(' || r == ')' || r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// String returns the masked number, so that a stray %v never leaks it.
func (p Phone) String() string { return p.Masked() }

// LogValue logs the masked number.
func (p Phone) LogValue() slog.Value { return slog.StringValue(p.Masked()) }

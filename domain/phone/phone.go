// Package phone is the one grammar of a customer's phone number: which
// strings a reservation accepts (Valid), the key a number is looked up by
// (Normalize), and how it appears where it must not be read whole (Mask).
//
// A number is written with ASCII digits, separated by spaces, '-', '(' or
// ')', and may begin with '+'. It has 7 to 15 digits (E.164 allows no more)
// and at most 32 bytes in all. "010-1234-5678", "(02) 555-1234" and
// "+82 10 1234 5678" are numbers; "010.1234.5678" and "１２３４５６７８" are not.
//
// Numbers are stored as the customer wrote them; Normalize and Mask accept
// any string, so that data stored before a rule changed still reads.
package phone

import "strings"

// Bounds of a valid number.
const (
	MinDigits = 7
	MaxDigits = 15 // E.164's maximum
	MaxBytes  = 32
)

// koreaCode is the country code that Normalize folds into the national form.
const koreaCode = "82"

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isSeparator reports whether r may stand between the digits of a number.
func isSeparator(r rune) bool { return r == ' ' || r == '-' || r == '(' || r == ')' }

// Valid reports whether s is a phone number by the package's grammar: 7 to
// 15 ASCII digits, spaces, '-', '(' and ')', an optional leading '+', at most
// 32 bytes.
func Valid(s string) bool {
	if len(s) > MaxBytes {
		return false
	}
	digits := 0
	for i, r := range s {
		switch {
		case isDigit(r):
			digits++
		case r == '+' && i == 0, isSeparator(r):
		default:
			return false
		}
	}
	return digits >= MinDigits && digits <= MaxDigits
}

// Normalize reduces a number to the key it is looked up by: its national
// digits, so that 010-1234-5678, 01012345678 and +82 10 1234 5678 are one
// number ("01012345678"). Anything that is not a digit is dropped; an
// international prefix ('+' or "00") followed by Korea's 82 becomes the
// national 0, and any other country's number keeps its '+' ("+14155550100").
// The result is "" when s has no digits.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	international := strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00")
	var b strings.Builder
	for _, r := range s {
		if isDigit(r) {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if !international || d == "" {
		return d
	}
	d = strings.TrimPrefix(d, "00")
	if !strings.HasPrefix(d, koreaCode) {
		return "+" + d // a foreign number stays international
	}
	d = d[len(koreaCode):]
	if !strings.HasPrefix(d, "0") {
		d = "0" + d
	}
	return d
}

// Mask hides all but the last four digits of s behind '*', keeping its
// separators and '+' so that the number keeps its shape: "010-1234-5678"
// becomes "***-****-5678". A number of four digits or fewer is hidden whole,
// and every other character (a letter, a '.') is hidden too.
func Mask(s string) string {
	digits := 0
	for _, r := range s {
		if isDigit(r) {
			digits++
		}
	}
	var b strings.Builder
	seen := 0
	for _, r := range s {
		switch {
		case isDigit(r):
			seen++
			if digits > 4 && digits-seen < 4 {
				b.WriteRune(r)
			} else {
				b.WriteByte('*')
			}
		case r == '+' || isSeparator(r):
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

package phone

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPhone pins the grammar: what is valid, its lookup key and its mask.
// The rows are the ones reservation, the read models and the notices
// tested before the grammar was theirs in common.
func TestPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		valid      bool
		normalized string
		masked     string
	}{
		{"010-1234-5678", true, "01012345678", "***-****-5678"},
		{"01012345678", true, "01012345678", "*******5678"},
		{"+82 10 1234 5678", true, "01012345678", "+** ** **** 5678"},
		{"+82-010-1234-5678", true, "01012345678", "+**-***-****-5678"},
		{" 010 1234 5678 ", true, "01012345678", " *** **** 5678 "},
		{"0082 10 1234 5678", true, "01012345678", "**** ** **** 5678"},
		{"(02) 555-1234", true, "025551234", "(**) ***-1234"},
		{"(02) 123-4567", true, "021234567", "(**) ***-4567"},
		{"+1 415 555 0100", true, "+14155550100", "+* *** *** 0100"},
		{"1234567", true, "1234567", "***4567"},
		{"123456789012345", true, "123456789012345", "***********2345"},
		{"1234567890123456", false, "1234567890123456", "************3456"},
		{"123456", false, "123456", "**3456"},
		{"123", false, "123", "***"},
		{"1234", false, "1234", "****"},
		{"", false, "", ""},
		{"abc", false, "", "***"},
		{"call me", false, "", "**** **"},
		{"+", false, "", "+"},
		{"+ -", false, "", "+ -"},
		{"010-1234-567a", false, "0101234567", "***-***4-567*"},
		{"1+2345678", false, "12345678", "*+***5678"},
		{"１２３４５６７８", false, "", "********"},
		{"010-1234-5678" + strings.Repeat(" ", 30), false, "01012345678", "***-****-5678" + strings.Repeat(" ", 30)},
		// A '.' was never valid, so no stored number has one; Mask hides it
		// like any other character that is not part of the grammar (before
		// the grammar was shared, the notices kept it).
		{"010.1234.5678", false, "01012345678", "*********5678"},
	}
	for _, tt := range tests {
		if got := Valid(tt.in); got != tt.valid {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.valid)
		}
		if got := Normalize(tt.in); got != tt.normalized {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.normalized)
		}
		if got := Mask(tt.in); got != tt.masked {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.masked)
		}
	}
}

// FuzzPhone checks the properties every caller relies on: a valid number
// has a lookup key made of digits (after an optional '+'), and a mask keeps
// the shape of its input and shows no more than its last four digits.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"010-1234-5678", "+82 10 1234 5678", "0082 10 1234 5678", "+1 415 555 0100", "abc", "", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key := Normalize(s)
		if Valid(s) && key == "" {
			t.Errorf("Normalize(%q) is empty for a valid number", s)
		}
		if strings.TrimLeft(strings.TrimPrefix(key, "+"), "0123456789") != "" {
			t.Errorf("Normalize(%q) = %q, not digits", s, key)
		}
		m := Mask(s)
		if utf8.ValidString(s) && utf8.RuneCountInString(m) != utf8.RuneCountInString(s) {
			t.Errorf("Mask(%q) = %q changes the length", s, m)
		}
		shown := 0
		for _, r := range m {
			if isDigit(r) {
				shown++
			}
		}
		if shown > 4 {
			t.Errorf("Mask(%q) = %q shows %d digits", s, m, shown)
		}
	})
}

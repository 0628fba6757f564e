package projections

import "strings"

// NormalizePhone reduces a Korean phone number to its national digits, so
// that 010-1234-5678, 01012345678 and +82 10 1234 5678 are one number
// ("01012345678"). Anything that is not a digit is dropped; a leading +82
// country code becomes the national 0. The result is "" when there are no
// digits.
func NormalizePhone(s string) string {
	s = strings.TrimSpace(s)
	international := strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00")
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if international && d != "" {
		d = strings.TrimPrefix(d, "00")
		if strings.HasPrefix(d, "82") {
			d = d[2:]
			if !strings.HasPrefix(d, "0") {
				d = "0" + d
			}
		} else {
			d = "+" + d // a foreign number stays international
		}
	}
	return d
}

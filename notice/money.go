package notice

import (
	"strconv"
	"strings"
)

// minorDigits is the number of minor-unit digits of the currencies a clinic
// is likely to bill in; ISO 4217 gives the rest two, which is right for most.
var minorDigits = map[string]int{"KRW": 0, "JPY": 0, "VND": 0, "CLP": 0, "ISK": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}

// FormatMoney formats an amount in minor units for locale: KRW has no minor
// units, so 35000 KRW is "35,000원" in Korean and "₩35,000" in English.
func FormatMoney(locale Locale, amount int64, currency string) string {
	currency = strings.ToUpper(currency)
	digits, ok := minorDigits[currency]
	if !ok {
		digits = 2
	}
	num := groupedDecimal(amount, digits)
	if locale == Korean {
		if currency == "KRW" {
			return num + "원"
		}
		return num + " " + currency
	}
	switch currency {
	case "KRW", "USD", "JPY", "EUR":
		sym := map[string]string{"KRW": "₩", "USD": "$", "JPY": "¥", "EUR": "€"}[currency]
		if strings.HasPrefix(num, "-") {
			return "-" + sym + num[1:]
		}
		return sym + num
	}
	return currency + " " + num
}

// groupedDecimal writes amount/10^digits with thousands separators.
func groupedDecimal(amount int64, digits int) string {
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = uint64(-(amount + 1)) + 1 // no overflow at math.MinInt64
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	whole, frac := s[:len(s)-digits], s[len(s)-digits:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if digits > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

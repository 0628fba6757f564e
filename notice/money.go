package notice

import (
	"strconv"
	"strings"

	"github.com/vetclinic/clinic/domain/money"
)

// FormatMoney formats an amount in minor units for locale, with as many
// decimals as the currency's exponent (money.Exponent): KRW has none, so
// 35000 KRW is "35,000원" in Korean and "₩35,000" in English.
func FormatMoney(locale Locale, amount int64, currency string) string {
	currency = strings.ToUpper(currency)
	num := groupedDecimal(amount, money.Exponent(currency))
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

// Package money is an amount of money: integer minor units of an ISO 4217
// currency. There are no floats anywhere: KRW has no minor unit, so
// Money{Amount: 10000, Currency: "KRW"} is ten thousand won.
package money

import (
	"fmt"
	"math"

	"github.com/vetclinic/clinic/domain"
)

// DefaultCurrency is the currency of a clinic that names none.
const DefaultCurrency = "KRW"

// Errors of amounts, domain errors like the aggregates' (an invalid
// amount is the caller's input). Their messages are also the texts of
// validation errors that name them, so they keep the package prefix.
var (
	// ErrCurrencyMismatch: two amounts of different currencies were combined.
	ErrCurrencyMismatch = domain.Invalid("money.currency_mismatch", "money: currency mismatch")
	// ErrInvalidCurrency: a currency code is not three upper-case letters.
	ErrInvalidCurrency = domain.Invalid("money.invalid_currency", "money: invalid currency code")
	// ErrOverflow: an amount does not fit in 64 bits.
	ErrOverflow = domain.Invalid("money.overflow", "money: amount overflows")
)

// Errors lists the errors of this package, as the aggregates list theirs,
// so that an adapter can map every one of them.
func Errors() []*domain.Error {
	return []*domain.Error{ErrCurrencyMismatch, ErrInvalidCurrency, ErrOverflow}
}

// Money is an amount in minor units of Currency. The JSON tags are part of
// the stored event schema.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// New returns amount minor units of currency, or ErrInvalidCurrency.
func New(amount int64, currency string) (Money, error) {
	if !ValidCurrency(currency) {
		return Money{}, fmt.Errorf("%w: %q", ErrInvalidCurrency, currency)
	}
	return Money{Amount: amount, Currency: currency}, nil
}

// KRW returns amount won.
func KRW(amount int64) Money { return Money{Amount: amount, Currency: "KRW"} }

// Zero returns no money in currency.
func Zero(currency string) Money { return Money{Currency: currency} }

// ValidCurrency reports whether code looks like an ISO 4217 code (three
// upper-case ASCII letters).
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, c := range code {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// Exponent returns the number of minor-unit digits of currency, as ISO
// 4217 gives it: 0 for KRW (Money{Amount: 35000, Currency: "KRW"} is 35,000
// won), 2 for USD (1050 is $10.50), 3 for KWD. A currency not listed here
// has 2, which is right for most of the others.
func Exponent(currency string) int {
	switch currency {
	case "KRW", "JPY", "VND", "CLP", "ISK":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "TND":
		return 3
	}
	return 2
}

// Add returns m+o, or ErrCurrencyMismatch, or ErrOverflow.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	if (o.Amount > 0 && m.Amount > math.MaxInt64-o.Amount) || (o.Amount < 0 && m.Amount < math.MinInt64-o.Amount) {
		return Money{}, ErrOverflow
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// Sub returns m-o, or ErrCurrencyMismatch, or ErrOverflow.
func (m Money) Sub(o Money) (Money, error) {
	if o.Amount == math.MinInt64 {
		return Money{}, ErrOverflow
	}
	return m.Add(Money{Amount: -o.Amount, Currency: o.Currency})
}

// Mul returns m times n, or ErrOverflow.
func (m Money) Mul(n int64) (Money, error) {
	if n != 0 && m.Amount != 0 {
		p := m.Amount * n
		if p/n != m.Amount || (m.Amount == -1 && n == math.MinInt64) || (n == -1 && m.Amount == math.MinInt64) {
			return Money{}, ErrOverflow
		}
		return Money{Amount: p, Currency: m.Currency}, nil
	}
	return Money{Currency: m.Currency}, nil
}

// Cmp compares m with o: -1, 0 or +1, or ErrCurrencyMismatch.
func (m Money) Cmp(o Money) (int, error) {
	if m.Currency != o.Currency {
		return 0, fmt.Errorf("%w: %s vs %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	switch {
	case m.Amount < o.Amount:
		return -1, nil
	case m.Amount > o.Amount:
		return 1, nil
	}
	return 0, nil
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount < 0 }

// String formats m as "10000 KRW" (minor units, then the currency).
func (m Money) String() string { return fmt.Sprintf("%d %s", m.Amount, m.Currency) }

package money

import (
	"errors"
	"math"
	"testing"
)

func TestAddSub(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		a, b    Money
		op      func(Money, Money) (Money, error)
		want    Money
		wantErr error
	}{
		{"add", KRW(1000), KRW(500), Money.Add, KRW(1500), nil},
		{"sub", KRW(1000), KRW(1500), Money.Sub, KRW(-500), nil},
		{"add mismatch", KRW(1), Money{1, "USD"}, Money.Add, Money{}, ErrCurrencyMismatch},
		{"sub mismatch", KRW(1), Money{1, "USD"}, Money.Sub, Money{}, ErrCurrencyMismatch},
		{"add overflow", KRW(math.MaxInt64), KRW(1), Money.Add, Money{}, ErrOverflow},
		{"sub overflow", KRW(math.MinInt64), KRW(1), Money.Sub, Money{}, ErrOverflow},
		{"sub min", KRW(0), KRW(math.MinInt64), Money.Sub, Money{}, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op(tt.a, tt.b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMul(t *testing.T) {
	t.Parallel()
	if got, err := KRW(15000).Mul(3); err != nil || got != KRW(45000) {
		t.Fatalf("Mul = %v, %v", got, err)
	}
	if _, err := KRW(math.MaxInt64 / 2).Mul(3); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Mul overflow err = %v", err)
	}
	if got, err := KRW(7).Mul(0); err != nil || got != KRW(0) {
		t.Fatalf("Mul 0 = %v, %v", got, err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"", "krw", "KR", "KRWX", "K1W"} {
		if _, err := New(1, c); !errors.Is(err, ErrInvalidCurrency) {
			t.Errorf("New(1, %q) err = %v, want ErrInvalidCurrency", c, err)
		}
	}
	if m, err := New(5, "USD"); err != nil || m != (Money{5, "USD"}) {
		t.Errorf("New(5, USD) = %v, %v", m, err)
	}
}

func TestCmp(t *testing.T) {
	t.Parallel()
	if c, _ := KRW(1).Cmp(KRW(2)); c != -1 {
		t.Errorf("1 vs 2 = %d", c)
	}
	if c, _ := KRW(2).Cmp(KRW(2)); c != 0 {
		t.Errorf("2 vs 2 = %d", c)
	}
	if _, err := KRW(2).Cmp(Money{2, "USD"}); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("mismatch err = %v", err)
	}
}

func TestExponent(t *testing.T) {
	t.Parallel()
	for currency, want := range map[string]int{"KRW": 0, "JPY": 0, "VND": 0, "CLP": 0, "ISK": 0,
		"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "USD": 2, "EUR": 2, "GBP": 2} {
		if got := Exponent(currency); got != want {
			t.Errorf("Exponent(%q) = %d, want %d", currency, got, want)
		}
	}
}

package projections

import (
	"context"
	"time"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/phone"
)

// Collections and index keys of the billing ledger.
const (
	LedgerEntries   = "entries"   // one document per charge, payment or refund
	LedgerInvoices  = "invoices"  // one per invoice, its entries with running balances
	LedgerCustomers = "customers" // one per customer (normalised phone), running balances
	LedgerDays      = "days"      // one per day (clinic zone), totals
	KeyDay          = "day"
	KeyInvoice      = "invoice"
)

// Ledger entry kinds. A reversal (taking a charge back) has no event in
// the domain today: a voided visit is never billed.
const (
	KindCharge  = "charge"
	KindPayment = "payment"
	KindRefund  = "refund"
)

// LedgerEntry is one movement of money.
type LedgerEntry struct {
	ID            string    `json:"id"` // the event id
	Kind          string    `json:"kind"`
	InvoiceID     string    `json:"invoiceId"`
	ReservationID string    `json:"reservationId"`
	Phone         string    `json:"phone"` // normalised
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Method        string    `json:"method,omitempty"`
	At            time.Time `json:"at"`
	Day           string    `json:"day"`
	// InvoiceBalance is the invoice's balance after this entry.
	InvoiceBalance int64  `json:"invoiceBalance"`
	Position       uint64 `json:"position"`
}

// IndexKeys implements Document.
func (e *LedgerEntry) IndexKeys() map[string]string {
	return map[string]string{KeyDay: e.Day, KeyInvoice: e.InvoiceID, KeyPhone: e.Phone}
}

// BalanceLine is an entry as seen from one account, with the balance after it.
type BalanceLine struct {
	EntryID   string    `json:"entryId"`
	Kind      string    `json:"kind"`
	InvoiceID string    `json:"invoiceId"`
	Amount    int64     `json:"amount"`
	At        time.Time `json:"at"`
	Balance   int64     `json:"balance"` // what is owed after the entry
}

// InvoiceAccount is one invoice's ledger.
type InvoiceAccount struct {
	InvoiceID     string        `json:"invoiceId"`
	ReservationID string        `json:"reservationId"`
	Phone         string        `json:"phone"`
	Currency      string        `json:"currency"`
	Total         int64         `json:"total"`
	Paid          int64         `json:"paid"`
	Refunded      int64         `json:"refunded"`
	Balance       int64         `json:"balance"`
	Status        string        `json:"status"`
	Entries       []BalanceLine `json:"entries"`
	Position      uint64        `json:"position"`
}

// IndexKeys implements Document.
func (a *InvoiceAccount) IndexKeys() map[string]string { return map[string]string{KeyPhone: a.Phone} }

// CustomerAccount is one customer's ledger across their invoices.
type CustomerAccount struct {
	Phone    string        `json:"phone"`
	Currency string        `json:"currency"`
	Charged  int64         `json:"charged"`
	Paid     int64         `json:"paid"`
	Refunded int64         `json:"refunded"`
	Balance  int64         `json:"balance"`
	Entries  []BalanceLine `json:"entries"`
	Position uint64        `json:"position"`
}

// IndexKeys implements Document.
func (a *CustomerAccount) IndexKeys() map[string]string { return nil }

// DayTotals is one day's takings, per currency.
type DayTotals struct {
	Day      string                 `json:"day"`
	Totals   map[string]*KindTotals `json:"totals"`
	Position uint64                 `json:"position"`
}

// KindTotals sums a day's entries of one currency.
type KindTotals struct {
	Charges  int64 `json:"charges"`
	Payments int64 `json:"payments"`
	Refunds  int64 `json:"refunds"`
	Net      int64 `json:"net"` // payments minus refunds: what the till holds
	Count    int   `json:"count"`
}

// IndexKeys implements Document.
func (d *DayTotals) IndexKeys() map[string]string { return nil }

// LedgerEntryOf returns the entry an invoice event makes; ok is false for
// any other event.
func LedgerEntryOf(ev Event, e any, loc *time.Location) (LedgerEntry, invoice.Bill, bool) {
	var b invoice.Bill
	var entry LedgerEntry
	switch e := e.(type) {
	case invoice.Issued:
		b, entry = e.Bill, LedgerEntry{Kind: KindCharge, Amount: e.Total.Amount, Currency: e.Total.Currency}
	case invoice.PaymentRecorded:
		b, entry = e.Bill, LedgerEntry{Kind: KindPayment, Amount: e.Amount.Amount, Currency: e.Amount.Currency, Method: e.Method}
	case invoice.PaymentRefunded:
		b, entry = e.Bill, LedgerEntry{Kind: KindRefund, Amount: e.Amount.Amount, Currency: e.Amount.Currency, Method: e.Method}
	default:
		return LedgerEntry{}, b, false
	}
	entry.ID, entry.InvoiceID, entry.ReservationID = ev.ID, b.InvoiceID.String(), b.ReservationID.String()
	entry.Phone, entry.At = phone.Normalize(b.Customer.Phone), b.At.UTC()
	entry.Day, entry.InvoiceBalance, entry.Position = b.At.In(loc).Format(time.DateOnly), b.Balance.Amount, ev.Position.Commit
	return entry, b, true
}

// Ledger is the billing ledger projection; loc is the clinic's zone (for
// the day an entry falls on). Every document's fold reads only that
// document and the event, so a partly written batch (MongoDB has no
// transaction here) converges when it is redelivered.
func Ledger(loc *time.Location) Subscriber {
	return Subscriber{
		Name:   LedgerName,
		Filter: Filter{StreamPrefixes: []string{invoice.StreamPrefix}},
		Indexes: map[string][]string{
			LedgerEntries:  {KeyDay, KeyInvoice, KeyPhone},
			LedgerInvoices: {KeyPhone},
		},
		Decode: decodeAhead,
		Handle: func(ctx context.Context, tx *Tx, ev Event) error {
			d, ok, err := decode(ev)
			if !ok {
				return err
			}
			entry, b, ok := LedgerEntryOf(ev, d, loc)
			if !ok {
				return nil
			}
			if err := Fold(tx, LedgerEntries, entry.ID, ev, func(e *LedgerEntry, _ bool) error {
				*e = entry
				return nil
			}); err != nil {
				return err
			}
			if err := Fold(tx, LedgerInvoices, entry.InvoiceID, ev, func(a *InvoiceAccount, _ bool) error {
				FoldInvoiceAccount(a, entry, b)
				return nil
			}); err != nil {
				return err
			}
			if entry.Phone != "" {
				if err := Fold(tx, LedgerCustomers, entry.Phone, ev, func(a *CustomerAccount, _ bool) error {
					FoldCustomerAccount(a, entry)
					return nil
				}); err != nil {
					return err
				}
			}
			return Fold(tx, LedgerDays, entry.Day, ev, func(t *DayTotals, _ bool) error {
				FoldDayTotals(t, entry)
				return nil
			})
		},
	}
}

// FoldInvoiceAccount takes an entry into its invoice's account.
func FoldInvoiceAccount(a *InvoiceAccount, e LedgerEntry, b invoice.Bill) {
	a.InvoiceID, a.ReservationID, a.Phone, a.Currency = e.InvoiceID, e.ReservationID, e.Phone, b.Total.Currency
	a.Total, a.Paid, a.Refunded, a.Balance, a.Status = b.Total.Amount, b.Paid.Amount, b.Refunded.Amount, b.Balance.Amount, string(b.Status)
	a.Entries = append(a.Entries, BalanceLine{EntryID: e.ID, Kind: e.Kind, InvoiceID: e.InvoiceID, Amount: e.Amount, At: e.At, Balance: b.Balance.Amount})
	a.Position = e.Position
}

// FoldCustomerAccount takes an entry into its customer's account.
func FoldCustomerAccount(a *CustomerAccount, e LedgerEntry) {
	a.Phone, a.Currency = e.Phone, e.Currency
	switch e.Kind {
	case KindCharge:
		a.Charged += e.Amount
		a.Balance += e.Amount
	case KindPayment:
		a.Paid += e.Amount
		a.Balance -= e.Amount
	case KindRefund:
		a.Refunded += e.Amount
		a.Balance += e.Amount
	}
	a.Entries = append(a.Entries, BalanceLine{EntryID: e.ID, Kind: e.Kind, InvoiceID: e.InvoiceID, Amount: e.Amount, At: e.At, Balance: a.Balance})
	a.Position = e.Position
}

// FoldDayTotals takes an entry into its day's totals.
func FoldDayTotals(t *DayTotals, e LedgerEntry) {
	t.Day = e.Day
	if t.Totals == nil {
		t.Totals = map[string]*KindTotals{}
	}
	k := t.Totals[e.Currency]
	if k == nil {
		k = &KindTotals{}
		t.Totals[e.Currency] = k
	}
	switch e.Kind {
	case KindCharge:
		k.Charges += e.Amount
	case KindPayment:
		k.Payments += e.Amount
		k.Net += e.Amount
	case KindRefund:
		k.Refunds += e.Amount
		k.Net -= e.Amount
	}
	k.Count++
	t.Position = e.Position
}

// Package ledger is the billing ledger read model: one entry per charge,
// payment and refund, with running balances per invoice and per customer
// and takings per day. It holds the documents, their folds, the subscriber
// and the reads its queries make.
package ledger

import "time"

// The subscriber's name, the collections and the index keys of the billing
// ledger. They are stored: renaming one means a rebuild.
const (
	Name       = "ledger"
	Entries    = "entries"   // one document per charge, payment or refund
	Invoices   = "invoices"  // one per invoice, its entries with running balances
	Customers  = "customers" // one per customer (normalised phone), running balances
	Days       = "days"      // one per day (clinic zone), totals
	KeyDay     = "day"
	KeyInvoice = "invoice"
	KeyPhone   = "phone" // normalised phone number
)

// Ledger entry kinds. A discount lowers what is owed; a void takes back
// what a void bill still charged (its visit is billed again by a new
// invoice, a new charge). A move takes what an invoice still owes from the
// customer account of its old phone to the account of its new one, when
// the visit's contact is corrected (no money moves).
const (
	KindCharge   = "charge"
	KindPayment  = "payment"
	KindRefund   = "refund"
	KindDiscount = "discount"
	KindVoid     = "void"
	KindMove     = "move"
)

// Entry is one movement of money.
type Entry struct {
	ID            string `json:"id"` // the event id
	Kind          string `json:"kind"`
	InvoiceID     string `json:"invoiceId"`
	ReservationID string `json:"reservationId"`
	Phone         string `json:"phone"` // normalised
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Method        string `json:"method,omitempty"`
	// FromPhone is, on a move, the normalised phone the invoice left.
	FromPhone string    `json:"fromPhone,omitempty"`
	At        time.Time `json:"at"`
	Day       string    `json:"day"`
	// InvoiceBalance is the invoice's balance after this entry.
	InvoiceBalance int64  `json:"invoiceBalance"`
	Position       uint64 `json:"position"`
}

// IndexKeys implements projections.Document.
func (e *Entry) IndexKeys() map[string]string {
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

// InvoiceAccount is one invoice's ledger: Paid is net of refunds, Balance
// is Total minus Paid (the invoice events' own meaning).
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

// IndexKeys implements projections.Document.
func (a *InvoiceAccount) IndexKeys() map[string]string { return map[string]string{KeyPhone: a.Phone} }

// CustomerAccount is one customer's ledger across their invoices. Charged
// is what was billed, Paid what was paid and not given back (payments minus
// refunds, as on an invoice), Refunded the refunds, Balance what is owed.
type CustomerAccount struct {
	Phone    string `json:"phone"`
	Currency string `json:"currency"`
	Charged  int64  `json:"charged"`
	Paid     int64  `json:"paid"`
	Refunded int64  `json:"refunded"`
	Balance  int64  `json:"balance"`
	// Discounted and Voided are what discounts and void bills took off
	// Charged (absent in documents folded before they existed: zero).
	Discounted int64 `json:"discounted,omitempty"`
	Voided     int64 `json:"voided,omitempty"`
	// MovedIn and MovedOut are what invoices still owed when their visit's
	// contact was corrected to this phone, or away from it.
	MovedIn  int64         `json:"movedIn,omitempty"`
	MovedOut int64         `json:"movedOut,omitempty"`
	Entries  []BalanceLine `json:"entries"`
	Position uint64        `json:"position"`
}

// IndexKeys implements projections.Document.
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
	// Discounts and Voids: what the day's discounts and void bills took off
	// the charges (no money moved).
	Discounts int64 `json:"discounts,omitempty"`
	Voids     int64 `json:"voids,omitempty"`
	Net       int64 `json:"net"` // payments minus refunds: what the till holds
	Count     int   `json:"count"`
}

// IndexKeys implements projections.Document.
func (d *DayTotals) IndexKeys() map[string]string { return nil }

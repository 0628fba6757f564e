package ledger

import (
	"time"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections"
)

// EntryOf returns the entry an invoice event makes; ok is false for
// any other event.
func EntryOf(ev projections.Event, e any, loc *time.Location) (Entry, invoice.Bill, bool) {
	var b invoice.Bill
	var entry Entry
	switch e := e.(type) {
	case invoice.Issued:
		b, entry = e.Bill, Entry{Kind: KindCharge, Amount: e.Total.Amount, Currency: e.Total.Currency}
	case invoice.PaymentRecorded:
		b, entry = e.Bill, Entry{Kind: KindPayment, Amount: e.Amount.Amount, Currency: e.Amount.Currency, Method: e.Method}
	case invoice.PaymentRefunded:
		b, entry = e.Bill, Entry{Kind: KindRefund, Amount: e.Amount.Amount, Currency: e.Amount.Currency, Method: e.Method}
	case invoice.DiscountGranted:
		b, entry = e.Bill, Entry{Kind: KindDiscount, Amount: e.Amount.Amount, Currency: e.Amount.Currency}
	case invoice.Voided:
		// Nothing is owed on a void bill: its balance is taken back.
		b, entry = e.Bill, Entry{Kind: KindVoid, Amount: e.Balance.Amount, Currency: e.Balance.Currency}
		b.Balance.Amount = 0
	case invoice.CustomerChanged:
		b, entry = e.Bill, Entry{Kind: KindMove, Amount: e.Balance.Amount, Currency: e.Balance.Currency,
			FromPhone: phone.Normalize(e.OldCustomer.Phone)}
	default:
		return Entry{}, b, false
	}
	entry.ID, entry.InvoiceID, entry.ReservationID = ev.ID, b.InvoiceID.String(), b.ReservationID.String()
	entry.Phone, entry.At = phone.Normalize(b.Customer.Phone), b.At.UTC()
	entry.Day, entry.InvoiceBalance, entry.Position = b.At.In(loc).Format(time.DateOnly), b.Balance.Amount, ev.Position.Commit
	return entry, b, true
}

// FoldInvoiceAccount takes an entry into its invoice's account.
func FoldInvoiceAccount(a *InvoiceAccount, e Entry, b invoice.Bill) {
	a.InvoiceID, a.ReservationID, a.Phone, a.Currency = e.InvoiceID, e.ReservationID, e.Phone, b.Total.Currency
	a.Total, a.Paid, a.Refunded, a.Balance, a.Status = b.Total.Amount, b.Paid.Amount, b.Refunded.Amount, b.Balance.Amount, string(b.Status)
	a.Entries = append(a.Entries, BalanceLine{EntryID: e.ID, Kind: e.Kind, InvoiceID: e.InvoiceID, Amount: e.Amount, At: e.At, Balance: b.Balance.Amount})
	a.Position = e.Position
}

// FoldCustomerAccount takes an entry into its customer's account. Paid,
// Refunded and Balance mean what they mean on an invoice (and in every
// view, docs/read-side.md): Paid is net of refunds, Balance is what is
// still owed.
func FoldCustomerAccount(a *CustomerAccount, e Entry) {
	a.Phone, a.Currency = e.Phone, e.Currency
	switch e.Kind {
	case KindCharge:
		a.Charged += e.Amount
		a.Balance += e.Amount
	case KindPayment:
		a.Paid += e.Amount
		a.Balance -= e.Amount
	case KindRefund:
		a.Paid -= e.Amount
		a.Refunded += e.Amount
		a.Balance += e.Amount
	case KindDiscount:
		a.Discounted += e.Amount
		a.Balance -= e.Amount
	case KindVoid:
		a.Voided += e.Amount
		a.Balance -= e.Amount
	case KindMove:
		if e.FromPhone == e.Phone {
			break // the name changed, not the account
		}
		a.MovedIn += e.Amount
		a.Balance += e.Amount
	}
	a.Entries = append(a.Entries, BalanceLine{EntryID: e.ID, Kind: e.Kind, InvoiceID: e.InvoiceID, Amount: e.Amount, At: e.At, Balance: a.Balance})
	a.Position = e.Position
}

// FoldMovedOut takes a move into the account of the phone the invoice
// left (FoldCustomerAccount takes it into the new one's).
func FoldMovedOut(a *CustomerAccount, e Entry) {
	a.Phone, a.Currency = e.FromPhone, e.Currency
	a.MovedOut += e.Amount
	a.Balance -= e.Amount
	a.Entries = append(a.Entries, BalanceLine{EntryID: e.ID, Kind: e.Kind, InvoiceID: e.InvoiceID, Amount: -e.Amount, At: e.At, Balance: a.Balance})
	a.Position = e.Position
}

// FoldDayTotals takes an entry into its day's totals.
func FoldDayTotals(t *DayTotals, e Entry) {
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
	case KindDiscount:
		k.Discounts += e.Amount
	case KindVoid:
		k.Voids += e.Amount
	}
	if e.Kind != KindMove { // a bill moving to a corrected customer is no money entry of the day
		k.Count++
	}
	t.Position = e.Position
}

// Ignored lists the event types the ledger does not fold, each with why
// (TestEveryReadModelHandlesEveryEventType keeps the list and EntryOf in
// step with the domain): every invoice event is an entry.
func Ignored() map[string]string {
	return projections.IgnoreAllBut(invoice.Types(), "not an invoice event: the ledger's entries are the invoices' events")
}

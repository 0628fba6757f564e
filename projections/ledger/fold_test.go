package ledger_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/ledger"
)

var (
	seoul, _ = time.LoadLocation("Asia/Seoul")
	resID    = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	recID    = reservation.MedicalRecordID(resID)
	invID    = uuid.MustParse("33333333-3333-4333-8333-333333333333")
	jackson  = reservation.Customer{Name: "Jackson", Phone: "010-1234-5678"}
)

func bill(total, paid, refunded int64, status invoice.Status, at time.Time) invoice.Bill {
	return invoice.Bill{InvoiceID: invID, MedicalRecordID: recID, ReservationID: resID, Customer: jackson,
		Total: money.KRW(total), Paid: money.KRW(paid), Refunded: money.KRW(refunded), Balance: money.KRW(total - paid),
		Status: status, At: at, By: "nurse-kim"}
}

func TestLedgerFolds(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC) // 23:30 in Seoul
	late := at.Add(time.Hour)                            // 00:30 on Dec 2 in Seoul
	evs := []struct {
		e   domain.Event
		pos uint64
	}{
		{invoice.Issued{Bill: bill(30000, 0, 0, invoice.StatusOpen, at)}, 10},
		{invoice.PaymentRecorded{Bill: bill(30000, 30000, 0, invoice.StatusPaid, at), Amount: money.KRW(30000), Method: "card"}, 20},
		{invoice.PaymentRefunded{Bill: bill(30000, 20000, 10000, invoice.StatusPartiallyPaid, late), Amount: money.KRW(10000), Method: "card"}, 30},
	}
	var inv ledger.InvoiceAccount
	var cust ledger.CustomerAccount
	days := map[string]*ledger.DayTotals{}
	var entries []ledger.Entry
	for i, x := range evs {
		ev := projections.Event{ID: string(rune('a' + i)), Position: projections.Position{Commit: x.pos}}
		entry, b, ok := ledger.EntryOf(ev, x.e, seoul)
		if !ok {
			t.Fatalf("%T makes no entry", x.e)
		}
		entries = append(entries, entry)
		ledger.FoldInvoiceAccount(&inv, entry, b)
		ledger.FoldCustomerAccount(&cust, entry)
		if days[entry.Day] == nil {
			days[entry.Day] = &ledger.DayTotals{}
		}
		ledger.FoldDayTotals(days[entry.Day], entry)
	}
	wantLines := []ledger.BalanceLine{
		{EntryID: "a", Kind: "charge", InvoiceID: invID.String(), Amount: 30000, At: at, Balance: 30000},
		{EntryID: "b", Kind: "payment", InvoiceID: invID.String(), Amount: 30000, At: at, Balance: 0},
		{EntryID: "c", Kind: "refund", InvoiceID: invID.String(), Amount: 10000, At: late, Balance: 10000},
	}
	if diff := cmp.Diff(wantLines, inv.Entries); diff != "" {
		t.Errorf("invoice running balances (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantLines, cust.Entries); diff != "" {
		t.Errorf("customer running balances (-want +got):\n%s", diff)
	}
	if inv.Balance != 10000 || inv.Status != "partially_paid" || cust.Balance != 10000 || cust.Charged != 30000 {
		t.Errorf("invoice %+v customer %+v", inv, cust)
	}
	// Paid, refunded and balance mean the same on the invoice and the
	// customer (the customer's paid was gross of refunds before).
	if inv.Paid != 20000 || cust.Paid != inv.Paid || cust.Refunded != inv.Refunded || inv.Refunded != 10000 {
		t.Errorf("paid/refunded: invoice %d/%d, customer %d/%d; want 20000/10000 for both", inv.Paid, inv.Refunded, cust.Paid, cust.Refunded)
	}
	if entries[0].Day != "2026-12-01" || entries[2].Day != "2026-12-02" || entries[2].Phone != "01012345678" {
		t.Errorf("entries %+v", entries)
	}
	want := map[string]*ledger.DayTotals{
		"2026-12-01": {Day: "2026-12-01", Position: 20, Totals: map[string]*ledger.KindTotals{"KRW": {Charges: 30000, Payments: 30000, Net: 30000, Count: 2}}},
		"2026-12-02": {Day: "2026-12-02", Position: 30, Totals: map[string]*ledger.KindTotals{"KRW": {Refunds: 10000, Net: -10000, Count: 1}}},
	}
	if diff := cmp.Diff(want, days); diff != "" {
		t.Errorf("daily totals (-want +got):\n%s", diff)
	}
}

// TestLedgerCorrections: a discount and a void lower what the customer
// owes, move no money, and show in the day's totals.
func TestLedgerCorrections(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	disc := bill(25000, 0, 0, invoice.StatusOpen, at)
	disc.Discounted = money.KRW(5000)
	void := disc
	void.Status = invoice.StatusVoided
	var cust ledger.CustomerAccount
	var day ledger.DayTotals
	var inv ledger.InvoiceAccount
	for i, e := range []domain.Event{
		invoice.Issued{Bill: bill(30000, 0, 0, invoice.StatusOpen, at)},
		invoice.DiscountGranted{Bill: disc, Amount: money.KRW(5000)},
		invoice.Voided{Bill: void, Reason: "wrong lines"},
	} {
		entry, b, ok := ledger.EntryOf(projections.Event{ID: uuid.NewString(), Position: projections.Position{Commit: uint64(i + 1)}}, e, seoul)
		if !ok {
			t.Fatalf("%T makes no entry", e)
		}
		ledger.FoldCustomerAccount(&cust, entry)
		ledger.FoldDayTotals(&day, entry)
		ledger.FoldInvoiceAccount(&inv, entry, b)
	}
	if cust.Charged != 30000 || cust.Discounted != 5000 || cust.Voided != 25000 || cust.Balance != 0 || cust.Paid != 0 {
		t.Errorf("customer account %+v", cust)
	}
	if k := day.Totals["KRW"]; k.Charges != 30000 || k.Discounts != 5000 || k.Voids != 25000 || k.Net != 0 {
		t.Errorf("day totals %+v", k)
	}
	if inv.Balance != 0 || inv.Status != "voided" {
		t.Errorf("invoice account %+v", inv)
	}
}

// TestAMoveIsNoEntryOfTheDay: a bill moving to a corrected customer moves
// no money, so the day's totals neither count it nor change.
func TestAMoveIsNoEntryOfTheDay(t *testing.T) {
	t.Parallel()
	var d ledger.DayTotals
	ledger.FoldDayTotals(&d, ledger.Entry{Kind: ledger.KindCharge, Amount: 30000, Currency: "KRW", Day: "2026-12-01", Position: 1})
	ledger.FoldDayTotals(&d, ledger.Entry{Kind: ledger.KindMove, Amount: 30000, Currency: "KRW", Day: "2026-12-01", Position: 2})
	k := d.Totals["KRW"]
	if k.Count != 1 || k.Charges != 30000 || k.Net != 0 {
		t.Fatalf("totals %+v, want the charge alone", *k)
	}
}

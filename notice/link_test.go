package notice

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/statuslink"
)

// TestEveryMessageCarriesItsStatusLink: a reservation's messages, its
// invoice's and its reminder all end with the link to its status page, a
// token for that reservation and the phone the message goes to; the same
// event gives the same link however often it is read.
func TestEveryMessageCarriesItsStatusLink(t *testing.T) {
	t.Parallel()
	links, err := statuslink.New(bytes.Repeat([]byte{7}, statuslink.KeySize), "https://clinic.example.com")
	if err != nil {
		t.Fatal(err)
	}
	booked := kst(t, "2026-11-30 10:00")
	f := newFixture(t, booked.Add(time.Second))
	f.svc.cfg.Links = links
	ctx := context.Background()

	v := visit(reservation.StatusBooked, booked.UTC())
	bill := invoice.Bill{InvoiceID: uuid.New(), MedicalRecordID: v.MedicalRecordID, ReservationID: resID, Customer: v.Customer,
		Total: money.KRW(1000), Paid: money.KRW(0), Refunded: money.KRW(0), Balance: money.KRW(1000), Status: invoice.StatusOpen, At: booked.UTC()}
	for i, e := range []interface{ EventType() string }{
		reservation.Placed{Visit: v},
		invoice.Issued{Bill: bill, Pet: v.Pet, DoctorID: v.DoctorID},
	} {
		if err := f.svc.Handle(ctx, event(t, uuid.NewString(), uint64(i+1), e)); err != nil {
			t.Fatal(err)
		}
	}
	f.now = kst(t, "2026-11-30 18:01") // the evening before the visit: its reminder
	if n, err := f.svc.Remind(ctx, f.now); err != nil || n != 1 {
		t.Fatalf("Remind = %d, %v; want 1", n, err)
	}
	all, _ := f.store.List(ctx, Filter{})
	if len(all) != 3 {
		t.Fatalf("recorded %d messages, want 3", len(all))
	}
	want := links.URL(resID.String(), "010-1234-5678")
	for _, m := range all {
		last := m.Text[strings.LastIndex(m.Text, "\n")+1:]
		if last != "진료 현황: "+want || m.Facts.Link != want {
			t.Errorf("%s: last line %q, link %q; want the link %q", m.Kind, last, m.Facts.Link, want)
		}
		tok := strings.TrimPrefix(want, "https://clinic.example.com/status/")
		if err := links.Verify(tok, resID.String(), string(m.To)); err != nil {
			t.Errorf("%s: the link's token does not verify for its reservation and phone: %v", m.Kind, err)
		}
	}
}

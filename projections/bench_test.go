package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

// visitEvents is a realistic mix for one visit: placed, checked in,
// completed, invoice issued, paid (five events, two aggregates).
func visitEvents(b testing.TB, i int) []esdbclient.EventData {
	id := uuid.New()
	slot := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%40) * 15 * time.Minute)
	v := reservation.Visit{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
		Customer: reservation.Customer{Name: "c", Phone: fmt.Sprintf("010-%04d-%04d", i%10000, i%7)}, Pet: reservation.Pet{Name: "Coco", Species: "dog"},
		DoctorID: fmt.Sprintf("dr-%d", i%5), Slot: slot, At: slot.Add(-time.Hour)}
	bill := invoice.Bill{InvoiceID: uuid.New(), ReservationID: id, Customer: v.Customer, Total: money.KRW(30000),
		Paid: money.KRW(0), Balance: money.KRW(30000), Status: invoice.StatusOpen, At: slot}
	paid := bill
	paid.Paid, paid.Balance, paid.Status = money.KRW(30000), money.KRW(0), invoice.StatusPaid
	mk := func(typ string, e any) esdbclient.EventData {
		data, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		return esdbclient.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdbclient.ContentTypeJson, Data: data}
	}
	placed, in, done := v, v, v
	placed.Status, in.Status, done.Status = reservation.StatusBooked, reservation.StatusCheckedIn, reservation.StatusCompleted
	return []esdbclient.EventData{
		mk(reservation.TypePlaced, reservation.Placed{Visit: placed, Reason: "check-up"}),
		mk(reservation.TypeCheckedIn, reservation.CheckedIn{Visit: in}),
		mk(reservation.TypeCompleted, reservation.Completed{Visit: done}),
		mk(invoice.TypeIssued, invoice.Issued{Bill: bill}),
		mk(invoice.TypePaymentRecorded, invoice.PaymentRecorded{Bill: paid, Amount: money.KRW(30000), Method: "card"}),
	}
}

// BenchmarkCatchUpMemory is the runtime, the lookup fold and bbolt without
// a server: events per second of a rebuild's write path.
// placedEvent is a ReservationPlaced of a new reservation, varied by i.
func placedEvent(t testing.TB, i int) (string, esdbclient.EventData) {
	id := uuid.New()
	slot := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%40) * 15 * time.Minute)
	b, err := json.Marshal(reservation.Placed{Visit: reservation.Visit{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
		Customer: reservation.Customer{Name: "c", Phone: fmt.Sprintf("010-%04d-%04d", i%10000, i%7)}, Pet: reservation.Pet{Name: "Coco", Species: "dog"},
		DoctorID: fmt.Sprintf("dr-%d", i%5), Slot: slot, Status: reservation.StatusBooked, At: slot.Add(-time.Hour)}, Reason: "check-up"})
	if err != nil {
		t.Fatal(err)
	}
	return reservation.Stream(id), esdbclient.EventData{EventID: id, EventType: reservation.TypePlaced, ContentType: esdbclient.ContentTypeJson, Data: b}
}

func BenchmarkCatchUpMemory(b *testing.B) {
	src := projectionstest.NewMemorySource()
	var last projections.Event
	for i, n := 0, 0; n < b.N; i++ {
		for _, e := range visitEvents(b, i) {
			n++
			stream := reservation.StreamPrefix + "x"
			if e.EventType == invoice.TypeIssued || e.EventType == invoice.TypePaymentRecorded {
				stream = invoice.StreamPrefix + "x"
			}
			last = src.Append(stream, e.EventType, e.Data)
		}
	}
	store := openStore(b)
	b.ResetTimer()
	start := time.Now()
	catchUp(b, src, store, last.Position)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkCatchUpESDB is a rebuild of the lookup from the embedded event
// store through the official client: events per second end to end.
func BenchmarkCatchUpESDB(b *testing.B) {
	client := esdbtest.Client(b)
	ctx := context.Background()
	var batch []esdbclient.EventData
	var last *esdbclient.WriteResult
	flush := func() {
		res, err := client.AppendToStream(ctx, reservation.StreamPrefix+uuid.NewString(), esdbclient.AppendToStreamOptions{}, batch...)
		if err != nil {
			b.Fatal(err)
		}
		last, batch = res, batch[:0]
	}
	n := 0
	for i := 0; n < b.N; i++ {
		evs := visitEvents(b, i)
		batch, n = append(batch, evs...), n+len(evs)
		if len(batch) >= 500 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	store := openStore(b)
	b.ResetTimer()
	start := time.Now()
	catchUp(b, esdb.Source{Client: client}, store, projections.Position{Commit: last.CommitPosition, Prepare: last.PreparePosition})
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}

func catchUp(b *testing.B, src projections.Source, store projections.Store, last projections.Position) {
	done := make(chan struct{})
	var once sync.Once
	r := &projections.Runner{Source: src, Store: store, Subscriber: lookup.Subscriber(seoul), Namespace: "lookup~1",
		OnCommit: func(cp projections.Checkpoint) {
			if !cp.Position.Less(last) {
				once.Do(func() { close(done) })
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); r.Run(ctx) }()
	<-done
	cancel()
	<-stopped
}

// BenchmarkLiveFreshness appends one reservation at a time (about 1,000 a
// second) to the embedded event store and measures how long each takes to
// be committed into the lookup.
func BenchmarkLiveFreshness(b *testing.B) {
	client := esdbtest.Client(b)
	store := openStore(b)
	var mu sync.Mutex
	appended := map[uint64]time.Time{}
	var lags []time.Duration
	seen := make(chan struct{}, 1)
	r := &projections.Runner{Source: esdb.Source{Client: client}, Store: store, Subscriber: lookup.Subscriber(seoul),
		Namespace: "lookup~1",
		OnCommit: func(cp projections.Checkpoint) {
			now := time.Now()
			mu.Lock()
			for pos, at := range appended {
				if pos <= cp.Position.Commit {
					lags = append(lags, now.Sub(at))
					delete(appended, pos)
				}
			}
			mu.Unlock()
			select {
			case seen <- struct{}{}:
			default:
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); r.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		stream, ev := placedEvent(b, i)
		at := time.Now()
		res, err := client.AppendToStream(ctx, stream, esdbclient.AppendToStreamOptions{}, ev)
		if err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		appended[res.CommitPosition] = at
		mu.Unlock()
	}
	for {
		mu.Lock()
		left := len(appended)
		mu.Unlock()
		if left == 0 {
			break
		}
		<-seen
	}
	b.StopTimer()
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkRebuildESDB is `clinic projections rebuild lookup` on the
// embedded stores: a fresh copy bulk-loaded from the embedded event store,
// synced once, then switched to.
func BenchmarkRebuildESDB(b *testing.B) {
	client := esdbtest.Client(b)
	ctx := context.Background()
	n := 0
	for i := 0; n < b.N; i += 100 {
		var batch []esdbclient.EventData
		for j := i; j < i+100; j++ {
			batch = append(batch, visitEvents(b, j)...)
		}
		if _, err := client.AppendToStream(ctx, reservation.StreamPrefix+uuid.NewString(), esdbclient.AppendToStreamOptions{}, batch...); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
	store := openStore(b)
	rb := &projections.Rebuilder{Source: esdb.Source{Client: client}, Store: store, Grace: time.Millisecond}
	b.ResetTimer()
	start := time.Now()
	if err := rb.Rebuild(ctx, projections.Projection{Subscriber: lookup.Subscriber(seoul), Rebuildable: true}, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}

var seoul, _ = time.LoadLocation("Asia/Seoul")

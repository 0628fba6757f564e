package docstore_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/notice/webhook"
	"github.com/vetclinic/clinic/projections"
)

// BenchmarkNotificationLag measures the notice lag: from the moment the
// event store acknowledges a ReservationPlaced to the moment a webhook
// receiver has its signed message. Events are appended at 500/s through the
// official client to the embedded event store; the notice role runs on the
// ESDB subscription runtime with the bbolt read store, as `clinic serve` runs
// it. Run with -benchtime=Nx (N events; 5000x is 10 s).
func BenchmarkNotificationLag(b *testing.B) {
	const rate = 500
	client := esdbtest.Client(b)
	rs, err := bolt.Open(filepath.Join(b.TempDir(), "read.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rs.Close() })

	var (
		mu       sync.Mutex
		received = map[string]time.Time{}
		all      = make(chan struct{})
		want     = b.N
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		id := r.Header.Get("webhook-id")
		mu.Lock()
		if _, dup := received[id]; !dup {
			received[id] = now
			if len(received) == want {
				close(all)
			}
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(recv.Close)

	log := slog.New(slog.DiscardHandler)
	ch, err := webhook.New(webhook.Config{URL: recv.URL, Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	render, _ := notice.NewRenderer(nil)
	store := docstore.New(rs)
	d := notice.NewDispatcher(store, ch, notice.DeliveryConfig{}, nil, log)
	svc := notice.NewService(notice.Config{Clinic: "C"}, render, d, store, nil, log)
	runner := docstore.NewSubscriber(svc, d).Runner(projections.ESDBSource{Client: client}, rs)
	runner.Logger = log
	live := make(chan struct{})
	var once sync.Once
	runner.OnCaughtUp = func(projections.Checkpoint) { once.Do(func() { close(live) }) }
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx) })
	wg.Go(func() { runner.Run(ctx) })
	b.Cleanup(func() { cancel(); wg.Wait() })
	<-live

	appended := make([]time.Time, b.N)
	ids := make([]string, b.N)
	sem := make(chan struct{}, 64)
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	var appends sync.WaitGroup
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		sem <- struct{}{}
		appends.Go(func() {
			defer func() { <-sem }()
			id := uuid.New()
			e := reservation.Placed{Visit: reservation.Visit{
				ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
				Customer: reservation.Customer{Name: "N", Phone: "010-1234-5678"},
				Pet:      reservation.Pet{Name: "Coco", Species: "dog"}, DoctorID: "dr-kim",
				Slot: time.Now().Add(72 * time.Hour).UTC(), Status: reservation.StatusBooked, At: time.Now().UTC(),
			}}
			data, _ := json.Marshal(e)
			evID := uuid.New()
			_, err := client.AppendToStream(ctx, reservation.Stream(id), esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}},
				esdb.EventData{EventID: evID, EventType: e.EventType(), ContentType: esdb.ContentTypeJson, Data: data})
			if err != nil {
				b.Error(err)
				return
			}
			appended[i], ids[i] = time.Now(), evID.String()
		})
	}
	appends.Wait()
	select {
	case <-all:
	case <-time.After(time.Minute):
		b.Fatalf("only %d of %d messages received", len(received), b.N)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	lags := make([]time.Duration, 0, b.N)
	for i, id := range ids {
		lags = append(lags, max(0, received[id].Sub(appended[i])))
	}
	slices.Sort(lags)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lags[len(lags)/2]), "p50-ms")
	b.ReportMetric(ms(lags[len(lags)*99/100]), "p99-ms")
	b.ReportMetric(ms(lags[len(lags)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
}

package docstore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/webhook"
	"github.com/vetclinic/clinic/projections"
)

// lagRig is the notice role on the embedded event store, bbolt and a
// de-duplicating webhook receiver that can be taken down.
type lagRig struct {
	client   *esdbclient.Client
	mu       sync.Mutex
	down     bool
	received map[string]time.Time // first acceptance per webhook-id
	dupes    int                  // acceptances of an id already accepted
	all      chan struct{}        // closed when want ids are in
	want     int
}

func newLagRig(b *testing.B, want int, cfg notice.DeliveryConfig) *lagRig {
	r := &lagRig{client: esdbtest.Client(b), received: map[string]time.Time{}, all: make(chan struct{}), want: want}
	rs, err := bolt.Open(filepath.Join(b.TempDir(), "read.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rs.Close() })
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if _, dup := r.received[id]; dup {
			r.dupes++
		} else {
			r.received[id] = now
			if len(r.received) == r.want {
				close(r.all)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(recv.Close)
	ch, err := webhook.New(webhook.Config{URL: recv.URL, Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	role, err := newRole(rs, esdb.Source{Client: r.client}, ch, notice.Config{Clinic: "C"}, cfg, seoul(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	live := make(chan struct{})
	var once sync.Once
	role.Runner.OnCaughtUp = func(projections.Checkpoint) { once.Do(func() { close(live) }) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { role.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	<-live
	return r
}

func (r *lagRig) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// place appends a ReservationPlaced as the command side would and returns
// its event ID and when the store acknowledged it.
func (r *lagRig) place(ctx context.Context) (string, time.Time, error) {
	id := uuid.New()
	e := reservation.Placed{Visit: reservation.Visit{
		ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
		Customer: reservation.Customer{Name: "N", Phone: "010-1234-5678"},
		Pet:      reservation.Pet{Name: "Coco", Species: "dog"}, DoctorID: "dr-kim",
		Slot: time.Now().Add(72 * time.Hour).UTC(), Status: reservation.StatusBooked, At: time.Now().UTC(),
	}}
	data, _ := json.Marshal(e)
	evID := uuid.New()
	_, err := r.client.AppendToStream(ctx, reservation.Stream(id), esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.NoStream{}},
		esdbclient.EventData{EventID: evID, EventType: e.EventType(), ContentType: esdbclient.ContentTypeJson, Data: data})
	return evID.String(), time.Now(), err
}

// paced calls f(i) for i in [0, n) at rate per second, at most 64 at once.
func paced(n, rate int, f func(i int)) {
	sem := make(chan struct{}, 64)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range n {
		<-tick.C
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkNotificationLag measures the notice lag: from the moment the
// event store acknowledges a ReservationPlaced to the moment a webhook
// receiver has its signed message. Events are appended at 500/s through the
// official client to the embedded event store; the notice role runs on the
// ESDB subscription runtime with the bbolt read store, as `clinic serve` runs
// it. Run with -benchtime=Nx (N events; 5000x is 10 s).
func BenchmarkNotificationLag(b *testing.B) {
	const rate = 500
	r := newLagRig(b, b.N, notice.DeliveryConfig{})
	ctx := context.Background()
	appended := make([]time.Time, b.N)
	ids := make([]string, b.N)
	b.ResetTimer()
	paced(b.N, rate, func(i int) {
		id, at, err := r.place(ctx)
		if err != nil {
			b.Error(err)
			return
		}
		ids[i], appended[i] = id, at
	})
	select {
	case <-r.all:
	case <-time.After(time.Minute):
		b.Fatalf("only %d of %d messages received", len(r.received), b.N)
	}
	b.StopTimer()
	r.mu.Lock()
	defer r.mu.Unlock()
	lags := make([]time.Duration, 0, b.N)
	for i, id := range ids {
		lags = append(lags, max(0, r.received[id].Sub(appended[i])))
	}
	slices.Sort(lags)
	b.ReportMetric(ms(lags[len(lags)/2]), "p50-ms")
	b.ReportMetric(ms(lags[len(lags)*99/100]), "p99-ms")
	b.ReportMetric(ms(lags[len(lags)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkNotificationOutage takes the webhook receiver down from 20% to
// 80% of a run of appends at 500/s (with -benchtime=50000x: 100 s of
// appends, a 60 s outage) and reports the appends that failed (the command
// side must not notice), the share of messages delivered after recovery,
// how long after recovery the last one arrived, and duplicate deliveries
// (which a receiver de-duplicating by webhook-id absorbs).
func BenchmarkNotificationOutage(b *testing.B) {
	const rate = 500
	r := newLagRig(b, b.N, notice.DeliveryConfig{MaxAttempts: 1000})
	ctx := context.Background()
	var (
		failed    int
		failedMu  sync.Mutex
		recovered time.Time
	)
	b.ResetTimer()
	paced(b.N, rate, func(i int) {
		switch {
		case b.N < 10: // too short a run for an outage
		case i == b.N/5:
			r.setDown(true)
		case i == b.N*4/5:
			r.setDown(false)
			failedMu.Lock()
			recovered = time.Now()
			failedMu.Unlock()
		}
		if _, _, err := r.place(ctx); err != nil {
			failedMu.Lock()
			failed++
			failedMu.Unlock()
		}
	})
	select {
	case <-r.all:
	case <-time.After(5 * time.Minute):
	}
	b.StopTimer()
	r.mu.Lock()
	defer r.mu.Unlock()
	var last time.Time
	for _, at := range r.received {
		if at.After(last) {
			last = at
		}
	}
	b.ReportMetric(float64(failed), "append-errors")
	b.ReportMetric(100*float64(len(r.received))/float64(b.N), "delivered-%")
	if !recovered.IsZero() {
		b.ReportMetric(last.Sub(recovered).Seconds(), "drain-s")
	}
	b.ReportMetric(float64(r.dupes), "dupes")
	b.ReportMetric(0, "ns/op")
}

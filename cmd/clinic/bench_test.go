package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Place-reservation load over HTTP on the embedded setup:
//
//	go test -run '^$' -bench PlaceReservation -benchtime 20000x ./cmd/clinic
//
// 64 clients (b.SetParallelism over GOMAXPROCS) each book their own doctor's
// days, so bookings never contend for a slot: the benchmark measures the
// whole path (HTTP, JSON, token check, load-decide-append of the schedule,
// reservation and medical record) rather than conflict retries.
const (
	benchClients      = 64
	benchSlotsPerDay  = 72 // 10-minute slots, 08:00-20:00
	benchSlotMinutes  = 10
	benchOpens        = "08:00"
	benchCloses       = "20:00"
	benchFirstDayFrom = 2 // days from today; tomorrow may already have begun in Seoul
)

// benchConfig writes a clinic with one doctor per client, working every day.
func benchConfig(b *testing.B) string {
	b.Helper()
	type doctor struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		WorkingDays []string `json:"workingDays"`
	}
	cfg := map[string]any{
		"name": "Bench Clinic", "timeZone": "Asia/Seoul", "currency": "KRW",
		"fees": []map[string]any{{"code": "CONSULT", "description": "Consultation", "price": 15000}},
	}
	var docs []doctor
	for i := range benchClients {
		docs = append(docs, doctor{fmt.Sprintf("bench-%02d", i), fmt.Sprintf("Dr. Bench %d", i),
			[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}})
	}
	cfg["doctors"] = docs
	path := filepath.Join(b.TempDir(), "bench-clinic.json")
	data, _ := json.Marshal(cfg)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchClient books doctor's days one slot after another.
type benchClient struct {
	doctor string
	days   []time.Time // midnight of each opened day, Asia/Seoul
	next   int
}

func (c *benchClient) slot() time.Time {
	day := c.days[c.next/benchSlotsPerDay]
	open, _ := time.Parse("15:04", benchOpens)
	s := day.Add(time.Duration(open.Hour())*time.Hour + time.Duration(c.next%benchSlotsPerDay*benchSlotMinutes)*time.Minute)
	c.next++
	return s
}

func BenchmarkPlaceReservation(b *testing.B) {
	p := startClinic(b, "--config", benchConfig(b))
	token := p.token(b, "staff", "bench")
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, MaxConnsPerHost: benchClients}}
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		b.Fatal(err)
	}
	perClient := b.N/benchClients + 1
	daysPerClient := perClient/benchSlotsPerDay + 1
	today := time.Now().In(seoul)
	clients := make(chan *benchClient, benchClients)
	var wg sync.WaitGroup
	var openErr atomic.Value
	for i := range benchClients {
		wg.Go(func() {
			c := &benchClient{doctor: fmt.Sprintf("bench-%02d", i)}
			for d := range daysPerClient {
				day := time.Date(today.Year(), today.Month(), today.Day()+benchFirstDayFrom+d, 0, 0, 0, 0, seoul)
				body := fmt.Sprintf(`{"opens":%q,"closes":%q,"slotMinutes":%d,"capacity":1}`, benchOpens, benchCloses, benchSlotMinutes)
				code, resp := benchDo(hc, "PUT", p.base+"/api/v1/doctors/"+c.doctor+"/days/"+day.Format(time.DateOnly), token, body)
				if code != http.StatusOK && code != http.StatusCreated {
					openErr.Store(fmt.Errorf("open day: %d %s", code, resp))
					return
				}
				c.days = append(c.days, day)
			}
			clients <- c
		})
	}
	wg.Wait()
	if err, _ := openErr.Load().(error); err != nil {
		b.Fatal(err)
	}

	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	var firstErr atomic.Value
	b.SetParallelism((benchClients + 1) / max(1, runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c := <-clients
		defer func() { clients <- c }()
		mine := make([]time.Duration, 0, perClient)
		for pb.Next() {
			body := fmt.Sprintf(`{"customer":{"name":"Bench","phone":"010-0000-%04d"},"pet":{"name":"Coco","species":"dog"},"doctorId":%q,"slot":%q,"reason":"checkup"}`,
				c.next%10000, c.doctor, c.slot().Format(time.RFC3339))
			t0 := time.Now()
			code, resp := benchDo(hc, "POST", p.base+"/api/v1/reservations", token, body)
			mine = append(mine, time.Since(t0))
			if code != http.StatusCreated {
				errs.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", code, resp))
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "reservations/s")
	b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
	b.ReportMetric(float64(errs.Load()), "errors")
	// CPU of the whole process (clients, server and store) per booking: on a
	// shared machine the rate depends on the neighbours, this much less.
	// Two idle cores could do at most 2s / cpu-ms-per-op bookings a second.
	b.ReportMetric(ms(cpu)/float64(len(lat)), "cpu-ms/op")
	b.ReportMetric(0, "ns/op") // wall time per op over 64 clients says little; the rate above is the figure
	if e := firstErr.Load(); e != nil {
		b.Logf("first error: %v", e)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func benchDo(hc *http.Client, method, url, token, body string) (int, []byte) {
	req, err := http.NewRequest(method, url, bytes.NewBufferString(body))
	if err != nil {
		return 0, []byte(err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

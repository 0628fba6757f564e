package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The shape of each day the place-reservation load opens: 72 ten-minute
// slots with one place each.
const (
	loadOpens       = "08:00"
	loadCloses      = "20:00"
	loadSlotMinutes = 10
	loadSlotsPerDay = 72
)

// placeLoad books reservations over HTTP from many clients at once. Each
// client books its own doctor's days (clients sharing a doctor take turns
// by day), slot after slot, so bookings never compete for a place: the load
// measures the booking path, not conflict retries.
type placeLoad struct {
	base    string // http://host:port
	token   string // a staff token
	clients int
	from    time.Time // the first day to book, in the clinic's zone
	hc      *http.Client
}

// loadResult is what a run measured.
type loadResult struct {
	latencies []time.Duration // of each booking request, sorted
	failed    int             // booking requests that did not book
	errors    int             // failed requests and lanes that could not go on
	firstErr  string
	elapsed   time.Duration
	daysOpen  int
}

// booked is how many reservations the run placed.
func (r loadResult) booked() int { return len(r.latencies) - r.failed }

// rate is placed reservations per second; a failed request is no throughput.
func (r loadResult) rate() float64 { return float64(r.booked()) / r.elapsed.Seconds() }

func (r loadResult) percentile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}

func (r loadResult) String() string {
	s := fmt.Sprintf("%d reservations in %v: %.0f/s, p50 %.1f ms, p99 %.1f ms, %d errors (%d days opened)",
		r.booked(), r.elapsed.Round(time.Millisecond), r.rate(),
		ms(r.percentile(0.50)), ms(r.percentile(0.99)), r.errors, r.daysOpen)
	if r.firstErr != "" {
		s += "; first error: " + r.firstErr
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadLane is one client's plan: a doctor and every lanes-th of its working
// days, starting at its own offset.
type loadLane struct {
	doctor   string
	weekdays map[time.Weekday]bool
	lane     int       // which of the doctor's lanes
	lanes    int       // how many clients share the doctor
	day      time.Time // the day being booked (midnight, clinic zone)
	started  bool
	slot     int // next slot of day; loadSlotsPerDay means "open the next day"
}

// lanes asks the clinic for its doctors and deals them out to the clients.
func (l *placeLoad) lanes(ctx context.Context) ([]*loadLane, error) {
	var cat struct {
		TimeZone string `json:"timeZone"`
		Doctors  []struct {
			ID          string   `json:"id"`
			WorkingDays []string `json:"workingDays"`
		} `json:"doctors"`
	}
	code, body, err := l.do(ctx, "GET", "/api/v1/doctors", "")
	if err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("list doctors: %d %s %v", code, body, err)
	}
	if err := json.Unmarshal(body, &cat); err != nil || len(cat.Doctors) == 0 {
		return nil, fmt.Errorf("list doctors: %s", body)
	}
	loc, err := time.LoadLocation(cat.TimeZone)
	if err != nil {
		return nil, err
	}
	from := time.Date(l.from.Year(), l.from.Month(), l.from.Day(), 0, 0, 0, 0, loc)
	n := len(cat.Doctors)
	out := make([]*loadLane, l.clients)
	for i := range out {
		d := cat.Doctors[i%n]
		wd := map[time.Weekday]bool{}
		for _, w := range d.WorkingDays {
			if day, ok := parseWeekday(w); ok {
				wd[day] = true
			}
		}
		out[i] = &loadLane{doctor: d.ID, weekdays: wd, lane: i / n, lanes: (l.clients + n - 1) / n,
			day: from.AddDate(0, 0, -1), slot: loadSlotsPerDay}
	}
	return out, nil
}

// next returns the lane's next slot, opening its next day when the last is
// full; opened says it opened one.
func (l *placeLoad) next(ctx context.Context, ln *loadLane) (slot time.Time, opened bool, err error) {
	if ln.slot >= loadSlotsPerDay {
		if len(ln.weekdays) == 0 {
			return time.Time{}, false, fmt.Errorf("doctor %s works no day of the week", ln.doctor)
		}
		step := ln.lanes // every lanes-th working day is this lane's
		if !ln.started {
			step, ln.started = ln.lane+1, true
		}
		for step > 0 {
			ln.day = ln.day.AddDate(0, 0, 1)
			if ln.weekdays[ln.day.Weekday()] {
				step--
			}
		}
		body := fmt.Sprintf(`{"opens":%q,"closes":%q,"slotMinutes":%d,"capacity":1}`, loadOpens, loadCloses, loadSlotMinutes)
		code, resp, err := l.do(ctx, "PUT", "/api/v1/doctors/"+ln.doctor+"/days/"+ln.day.Format(time.DateOnly), body)
		if err != nil || code != http.StatusOK {
			return time.Time{}, false, fmt.Errorf("open %s on %s: %d %s %v", ln.doctor, ln.day.Format(time.DateOnly), code, resp, err)
		}
		ln.slot, opened = 0, true
	}
	first, _ := time.Parse("15:04", loadOpens)
	slot = ln.day.Add(time.Duration(first.Hour())*time.Hour + time.Duration(ln.slot*loadSlotMinutes)*time.Minute)
	ln.slot++
	return slot, opened, nil
}

// run books until n bookings are done (n > 0) or until d has passed.
func (l *placeLoad) run(ctx context.Context, lanes []*loadLane, n int, d time.Duration) loadResult {
	var (
		mu       sync.Mutex
		res      loadResult
		tickets  atomic.Int64
		deadline = time.Now().Add(d)
		wg       sync.WaitGroup
	)
	start := time.Now()
	for i, ln := range lanes {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1024)
			errs, failed, days := 0, 0, 0
			var firstErr string
			for ctx.Err() == nil {
				if n > 0 && tickets.Add(1) > int64(n) || n <= 0 && time.Now().After(deadline) {
					break
				}
				slot, opened, err := l.next(ctx, ln)
				if opened {
					days++
				}
				if err != nil {
					errs++
					firstErr = err.Error()
					break // this lane cannot go on
				}
				body := fmt.Sprintf(`{"customer":{"name":"Load %d","phone":"010-0000-%04d"},"pet":{"name":"Coco","species":"dog"},"doctorId":%q,"slot":%q,"reason":"checkup"}`,
					i, i, ln.doctor, slot.Format(time.RFC3339))
				t0 := time.Now()
				code, resp, err := l.do(ctx, "POST", "/api/v1/reservations", body)
				lat = append(lat, time.Since(t0))
				if err != nil || code != http.StatusCreated {
					errs++
					failed++
					if firstErr == "" {
						firstErr = fmt.Sprintf("%d %s %v", code, resp, err)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			res.failed += failed
			res.daysOpen += days
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

func (l *placeLoad) do(ctx context.Context, method, path, body string) (int, []byte, error) {
	var r io.Reader
	if body != "" {
		r = bytes.NewBufferString(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := l.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

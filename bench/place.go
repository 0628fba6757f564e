// Package bench is the clinic's load generator: many HTTP clients booking
// reservations at once against a running clinic, and what they measured.
// `clinic bench place` and the place-reservation benchmark drive it.
package bench

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

	"github.com/vetclinic/clinic/domain/clinic"
)

// The shape of each day the place-reservation load opens: 72 ten-minute
// slots with one place each.
const (
	loadOpens       = "08:00"
	loadCloses      = "20:00"
	loadSlotMinutes = 10
	loadSlotsPerDay = 72
)

// PlaceLoad books reservations over HTTP from many clients at once. Each
// client books its own doctor's days (clients sharing a doctor take turns
// by day), slot after slot, so bookings never compete for a place: the load
// measures the booking path, not conflict retries.
type PlaceLoad struct {
	Base    string // http://host:port
	Token   string // a staff token
	Clients int
	From    time.Time // the first day to book, in the clinic's zone
	HTTP    *http.Client
}

// Lane is one client's plan: a doctor and every lanes-th of its working
// days, starting at its own offset.
type Lane struct {
	doctor   string
	weekdays map[time.Weekday]bool
	lane     int       // which of the doctor's lanes
	lanes    int       // how many clients share the doctor
	day      time.Time // the day being booked (midnight, clinic zone)
	started  bool
	slot     int // next slot of day; loadSlotsPerDay means "open the next day"
}

// Lanes asks the clinic for its doctors and deals them out to the clients.
func (l *PlaceLoad) Lanes(ctx context.Context) ([]*Lane, error) {
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
	from := time.Date(l.From.Year(), l.From.Month(), l.From.Day(), 0, 0, 0, 0, loc)
	n := len(cat.Doctors)
	out := make([]*Lane, l.Clients)
	for i := range out {
		d := cat.Doctors[i%n]
		wd := map[time.Weekday]bool{}
		for _, w := range d.WorkingDays {
			if day, ok := clinic.ParseWeekday(w); ok {
				wd[day] = true
			}
		}
		out[i] = &Lane{doctor: d.ID, weekdays: wd, lane: i / n, lanes: (l.Clients + n - 1) / n,
			day: from.AddDate(0, 0, -1), slot: loadSlotsPerDay}
	}
	return out, nil
}

// next returns the lane's next slot, opening its next day when the last is
// full; opened says it opened one.
func (l *PlaceLoad) next(ctx context.Context, ln *Lane) (slot time.Time, opened bool, err error) {
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

// Run books until n bookings are done (n > 0) or until d has passed.
func (l *PlaceLoad) Run(ctx context.Context, lanes []*Lane, n int, d time.Duration) Result {
	var (
		mu       sync.Mutex
		res      Result
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
			res.Latencies = append(res.Latencies, lat...)
			res.Errors += errs
			res.Failed += failed
			res.DaysOpen += days
			if res.FirstErr == "" {
				res.FirstErr = firstErr
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	return res
}

func (l *PlaceLoad) do(ctx context.Context, method, path, body string) (int, []byte, error) {
	var r io.Reader
	if body != "" {
		r = bytes.NewBufferString(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.Base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+l.Token)
	resp, err := l.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

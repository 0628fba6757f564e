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
//
// With BusyDay, every client books the same doctor's day instead (the
// first doctor's), slot after slot in turn, Capacity places a slot, and
// the next working day when that one is full: a popular vet's day opening,
// where bookings share one schedule stream.
type PlaceLoad struct {
	Base     string // http://host:port
	Token    string // a staff token
	Clients  int
	From     time.Time // the first day to book, in the clinic's zone
	HTTP     *http.Client
	BusyDay  bool
	Capacity int // places per slot of each day opened; 0 is 1
	busy     *busyDay
}

// busyDay deals out the places of the busy doctor's days: ticket t is slot
// t mod the slots of a day, of the (t / places a day)-th day.
type busyDay struct {
	mu     sync.Mutex
	ticket int
	days   map[int]*openOnce
	lane   *Lane // the doctor, its working days and the day before From
}

type openOnce struct {
	once sync.Once
	day  time.Time // set under busyDay.mu before anyone reads it
	err  error     // the opening's, set in once
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
	if l.BusyDay {
		n = 1 // every lane is the first doctor's; next deals its places
	}
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
	if l.BusyDay {
		first := *out[0]
		l.busy = &busyDay{days: map[int]*openOnce{}, lane: &first}
	}
	return out, nil
}

// next returns the lane's next slot, opening its next day when the last is
// full; opened says it opened one.
func (l *PlaceLoad) next(ctx context.Context, ln *Lane) (slot time.Time, opened bool, err error) {
	if l.busy != nil {
		return l.nextBusy(ctx)
	}
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
		if err := l.openDay(ctx, ln.doctor, ln.day); err != nil {
			return time.Time{}, false, err
		}
		ln.slot, opened = 0, true
	}
	slot = slotAt(ln.day, ln.slot)
	ln.slot++
	return slot, opened, nil
}

// nextBusy takes the next place of the busy day, opening the day once
// (the first lane to reach it opens it; the others wait for that).
func (l *PlaceLoad) nextBusy(ctx context.Context) (slot time.Time, opened bool, err error) {
	b := l.busy
	perDay := loadSlotsPerDay * l.capacity()
	if len(b.lane.weekdays) == 0 {
		return time.Time{}, false, fmt.Errorf("doctor %s works no day of the week", b.lane.doctor)
	}
	b.mu.Lock()
	t := b.ticket
	b.ticket++
	d := t / perDay
	o := b.days[d]
	if o == nil {
		o = &openOnce{}
		b.days[d] = o
		for step := 1; step > 0; { // day d is the working day after day d-1's
			b.lane.day = b.lane.day.AddDate(0, 0, 1)
			if b.lane.weekdays[b.lane.day.Weekday()] {
				step--
			}
		}
		o.day = b.lane.day
	}
	b.mu.Unlock()
	o.once.Do(func() {
		o.err, opened = l.openDay(ctx, b.lane.doctor, o.day), true
	})
	if o.err != nil {
		return time.Time{}, opened, o.err
	}
	return slotAt(o.day, t%loadSlotsPerDay), opened, nil
}

func (l *PlaceLoad) capacity() int { return max(1, l.Capacity) }

// openDay opens doctor's day with the load's shape and capacity.
func (l *PlaceLoad) openDay(ctx context.Context, doctor string, day time.Time) error {
	body := fmt.Sprintf(`{"opens":%q,"closes":%q,"slotMinutes":%d,"capacity":%d}`, loadOpens, loadCloses, loadSlotMinutes, l.capacity())
	code, resp, err := l.do(ctx, "PUT", "/api/v1/doctors/"+doctor+"/days/"+day.Format(time.DateOnly), body)
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("open %s on %s: %d %s %v", doctor, day.Format(time.DateOnly), code, resp, err)
	}
	return nil
}

// slotAt is the i-th slot of day.
func slotAt(day time.Time, i int) time.Time {
	first, _ := time.Parse("15:04", loadOpens)
	return day.Add(time.Duration(first.Hour())*time.Hour + time.Duration(i*loadSlotMinutes)*time.Minute)
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

// BusyDays are the busy doctor and the days the load dealt places of, in
// order (none without BusyDay).
func (l *PlaceLoad) BusyDays() (doctor string, days []time.Time) {
	if l.busy == nil {
		return "", nil
	}
	b := l.busy
	b.mu.Lock()
	defer b.mu.Unlock()
	for d := 0; d < len(b.days); d++ {
		days = append(days, b.days[d].day)
	}
	return b.lane.doctor, days
}

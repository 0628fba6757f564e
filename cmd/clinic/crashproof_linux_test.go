package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	cmds "github.com/vetclinic/clinic/commands"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/events"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/esdb"
	"github.com/vetclinic/clinic/eventstore"
)

// TestCrashProof is the whole-product crash proof of issue 13: `clinic
// serve` (every role, the embedded stores, webhook notices) runs as a child
// process under 8 clients sending mixed commands, recorded when
// acknowledged; it is SIGKILLed at random moments, several times, and
// restarted; clients give up on a cut request and never retry it. Then the
// sweep runs (as the server's would, past its grace), and: every
// acknowledged command's effect is there exactly once; no slot is over
// capacity; each finalised record is invoiced once; every half-done rule
// is complete (each reservation has its record, each ended visit's record
// is void); the read models equal a clean rebuild (admin rebuild API); and
// each notification was delivered at least once, exactly once at a
// receiver that de-duplicates by webhook-id. The long mode
// (CLINIC_LONG_TESTS) kills more often under longer loads.
func TestCrashProof(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash proof takes about 30 s")
	}
	t.Parallel()
	kills, loadFor := crashRounds()
	recv := newWebhookReceiver()
	hook := httptest.NewServer(recv)
	defer hook.Close()
	data := t.TempDir()
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--notify", "webhook", "--webhook-url", hook.URL,
		"--webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--notify-locale", "en",
		"--check-in-window", "720h"} // the visits are a week or more ahead: check them in, examine and bill them
	child := startServeChild(t, args)
	var mu sync.Mutex
	base := func() string { mu.Lock(); defer mu.Unlock(); return child.base }
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", data, "--role", "staff", "--subject", "nurse-kim"}, noEnv, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	a := &api{base: base, token: strings.TrimSpace(tok.String()), http: &http.Client{Timeout: 10 * time.Second}}
	doctors, days := []string{"dr-kim", "dr-lee"}, crashDays(t)
	for _, d := range doctors {
		for _, day := range days {
			open := map[string]any{"opens": "09:00", "closes": "17:00", "slotMinutes": 30, "capacity": 4}
			if code := a.do("PUT", "/api/v1/doctors/"+d+"/days/"+day, open, nil); code != http.StatusOK {
				t.Fatalf("open %s %s = %d", d, day, code)
			}
		}
	}
	load := &crashLoad{placed: map[string]placedVisit{}, ended: map[string]string{}, final: map[string]string{},
		paid: map[string]int64{}, cutPay: map[string]int64{}}
	rng := rand.New(rand.NewPCG(13, uint64(time.Now().UnixNano())))
	for kill := range kills {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := range 8 {
			r := rand.New(rand.NewPCG(uint64(kill), uint64(g)))
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					load.step(a, r, doctors, days)
				}
			})
		}
		time.Sleep(loadFor/2 + time.Duration(rng.Int64N(int64(loadFor))))
		close(stop)
		child.kill() // mid-load: the clients' requests in flight are cut
		wg.Wait()
		next := startServeChild(t, args)
		mu.Lock()
		child = next
		mu.Unlock()
	}
	child.stop(t)
	t.Logf("%d acknowledged commands (%d refused, %d cut and never retried) over %d kills", load.commands.Load(), load.refused.Load(), load.cut.Load(), kills)

	evs, sum := sweepAndCheck(t, filepath.Join(data, "events"), load, doctors, days)
	t.Logf("the sweep completed %d half-done rules (%+v); %d events checked", sum.Completed(), sum, evs)

	// The last run: the projections take in the sweep's events, the notices
	// go out; then a clean rebuild must give the same read models.
	child = startServeChild(t, args)
	defer child.stop(t)
	checkReadModelsRebuild(t, a, doctors, days, load)
	checkNotices(t, a, recv)
}

// crashDays returns two days a week or more ahead on which dr-kim and
// dr-lee both work (the example clinic: Mon, Wed, Fri, Sat).
func crashDays(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, d := range workingDays(t, 14) {
		day, _ := time.Parse(time.DateOnly, d)
		if w := day.Weekday(); w == time.Monday || w == time.Wednesday || w == time.Friday {
			out = append(out, d)
		}
		if len(out) == 2 {
			break
		}
	}
	return out
}

// sweepAndCheck opens the event store the child left, runs the sweep past
// its grace, and checks every rule against what the clients were told. It
// returns how many events it read.
func sweepAndCheck(t *testing.T, dir string, l *crashLoad, doctors, days []string) (int, cmds.SweepSummary) {
	t.Helper()
	ctx := context.Background()
	srv, err := eventstore.Start(ctx, "127.0.0.1:0", eventstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	store, err := esdb.Open(srv.URL(), esdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c, err := loadClinic("")
	if err != nil {
		t.Fatal(err)
	}
	h := cmds.New(store, c, cmds.Options{Clock: time.Now})
	sum, err := h.Sweep(ctx, time.Now().Add(cmds.SweepGrace+time.Minute))
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	n := 0
	read := func(stream string) []domain.Event {
		recs, err := store.Read(ctx, stream, 0)
		if err != nil {
			t.Fatalf("read %s: %v", stream, err)
		}
		n += len(recs)
		out := make([]domain.Event, len(recs))
		for i, r := range recs {
			if out[i], err = events.Decode(r.Type, r.Data); err != nil {
				t.Fatalf("decode %s: %v", r.Type, err)
			}
		}
		return out
	}
	all := map[uuid.UUID]bool{} // every reservation any booking named
	for _, d := range doctors {
		for _, day := range days {
			evs := read(schedule.Stream(d, day))
			s := schedule.New(d, day)
			s.Apply(evs...)
			for _, e := range evs {
				if b, ok := e.(schedule.SlotBooked); ok {
					all[b.ReservationID] = true
				}
			}
			for slot, held := range s.Bookings() {
				if len(held) > s.Hours().Capacity {
					t.Errorf("%s %s: %d bookings, capacity %d", d, slot, len(held), s.Hours().Capacity)
				}
				for _, id := range held {
					r := reservation.New(id)
					r.Apply(read(reservation.Stream(id))...)
					if v := r.Visit(); !r.Placed() || ended(v.Status) || v.DoctorID != d || !v.Slot.Equal(slot) {
						t.Errorf("%s %s is held by reservation %s, which is %q at %s %s", d, slot, id, v.Status, v.DoctorID, v.Slot)
					}
					if slices.Index(held[slices.Index(held, id)+1:], id) >= 0 {
						t.Errorf("reservation %s holds %s %s twice", id, d, slot)
					}
				}
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.placed {
		if !all[uuid.MustParse(id)] {
			t.Errorf("acknowledged reservation %s was never booked", id)
		}
	}
	for id := range all {
		evs := read(reservation.Stream(id))
		r := reservation.New(id)
		r.Apply(evs...)
		placed := 0
		for _, e := range evs {
			if _, ok := e.(reservation.Placed); ok {
				placed++
			}
		}
		_, acked := l.placed[id.String()]
		switch {
		case acked && placed != 1:
			t.Errorf("acknowledged reservation %s placed %d times", id, placed)
		case placed > 1:
			t.Errorf("reservation %s placed %d times", id, placed)
		}
		if !r.Placed() {
			continue
		}
		v := r.Visit()
		if want, ok := l.ended[id.String()]; ok && string(v.Status) != want {
			t.Errorf("reservation %s: acknowledged %s, but it is %s", id, want, v.Status)
		}
		m := medicalrecord.New(v.MedicalRecordID)
		m.Apply(read(medicalrecord.Stream(v.MedicalRecordID))...)
		switch {
		case m.Status() == "":
			t.Errorf("reservation %s (%s) has no record", id, v.Status)
		case ended(v.Status) && m.Status() != medicalrecord.StatusVoided:
			t.Errorf("ended visit %s (%s) has a %s record", id, v.Status, m.Status())
		case m.Status() == medicalrecord.StatusFinalized:
			invEvs := read(invoice.Stream(m.InvoiceID()))
			issued := 0
			for _, e := range invEvs {
				if _, ok := e.(invoice.Issued); ok {
					issued++
				}
			}
			if issued != 1 {
				t.Errorf("finalised record of %s invoiced %d times", id, issued)
			}
			inv := invoice.New(m.InvoiceID())
			inv.Apply(invEvs...)
			key := m.InvoiceID().String()
			if paid := inv.Bill().Paid.Amount; paid < l.paid[key] || paid > l.paid[key]+l.cutPay[key] {
				t.Errorf("invoice %s: %d paid, acknowledged %d (+%d cut)", key, paid, l.paid[key], l.cutPay[key])
			}
		}
		if rec, ok := l.final[v.MedicalRecordID.String()]; ok && m.Status() != medicalrecord.StatusFinalized {
			t.Errorf("record %s: finalisation acknowledged (invoice %s), but it is %s", v.MedicalRecordID, rec, m.Status())
		}
	}
	return n, sum
}

func ended(s reservation.Status) bool {
	return s == reservation.StatusCancelled || s == reservation.StatusNoShow
}

// webhookReceiver de-duplicates deliveries by webhook-id, as the notice
// docs tell a receiver to.
type webhookReceiver struct {
	mu         sync.Mutex
	deliveries int
	byID       map[string]int
}

func newWebhookReceiver() *webhookReceiver { return &webhookReceiver{byID: map[string]int{}} }

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.mu.Lock()
	w.deliveries++
	w.byID[r.Header.Get("webhook-id")]++
	w.mu.Unlock()
	rw.WriteHeader(http.StatusNoContent)
}

// checkReadModelsRebuild waits for the projections to catch up, takes the
// staff's views of every day and reservation, rebuilds every rebuildable
// projection through the admin API, and compares.
func checkReadModelsRebuild(t *testing.T, a *api, doctors, days []string, l *crashLoad) {
	t.Helper()
	caughtUp := func() bool {
		var st struct {
			Projections []struct {
				Name        string
				Rebuildable bool
				LagEvents   int
				Building    string
			}
		}
		if a.do("GET", "/api/v1/admin/projections", nil, &st) != http.StatusOK || len(st.Projections) == 0 {
			return false
		}
		for _, p := range st.Projections {
			if p.LagEvents != 0 || p.Building != "" {
				return false
			}
		}
		return true
	}
	waitFor(t, 60*time.Second, "the projections to catch up", caughtUp)
	views := func() map[string]string {
		out := map[string]string{}
		get := func(path string) {
			var v any
			code := a.do("GET", path, nil, &v)
			out[path] = fmt.Sprintf("%d %v", code, v)
		}
		for _, d := range doctors {
			for _, day := range days {
				get("/api/v1/doctors/" + d + "/days/" + day + "/reservations?limit=200")
				get("/api/v1/doctors/" + d + "/days/" + day + "/availability")
			}
		}
		for _, day := range days {
			get("/api/v1/ledger/days/" + day + "?limit=200")
		}
		l.mu.Lock()
		ids := make([]string, 0, len(l.placed))
		for id := range l.placed {
			ids = append(ids, id)
		}
		l.mu.Unlock()
		for _, id := range ids {
			get("/api/v1/lookup/reservations/" + id)
		}
		return out
	}
	before := views()
	var st struct {
		Projections []struct {
			Name        string
			Rebuildable bool
		}
	}
	a.do("GET", "/api/v1/admin/projections", nil, &st)
	rebuilt := 0
	for _, p := range st.Projections {
		if !p.Rebuildable {
			continue
		}
		if code := a.do("POST", "/api/v1/admin/projections/"+p.Name+"/rebuild", nil, nil); code != http.StatusAccepted {
			t.Fatalf("rebuild %s = %d", p.Name, code)
		}
		waitFor(t, 60*time.Second, "the rebuild of "+p.Name, func() bool {
			var rb struct{ State string }
			a.do("GET", "/api/v1/admin/projections/"+p.Name+"/rebuild", nil, &rb)
			return rb.State == "done" || rb.State == "switched" || rb.State == "failed"
		})
		rebuilt++
	}
	waitFor(t, 60*time.Second, "the projections to catch up after the rebuilds", caughtUp)
	after := views()
	for path, v := range before {
		if after[path] != v {
			t.Errorf("%s differs after a clean rebuild:\n before %s\n after  %s", path, v, after[path])
		}
	}
	t.Logf("%d views equal after a clean rebuild of %d projections", len(before), rebuilt)
}

// checkNotices waits until no notice is pending and checks each sent one
// reached the receiver, once after de-duplication.
func checkNotices(t *testing.T, a *api, recv *webhookReceiver) {
	t.Helper()
	sent := allNotices(t, a)
	recv.mu.Lock()
	defer recv.mu.Unlock()
	delivered := 0
	for _, m := range sent {
		if m.Status != "sent" {
			continue
		}
		delivered++
		if recv.byID[m.ID] == 0 {
			t.Errorf("notice %s is sent but never reached the receiver", m.ID)
		}
	}
	if len(recv.byID) != delivered {
		t.Errorf("the receiver holds %d distinct notices, the clinic sent %d", len(recv.byID), delivered)
	}
	if delivered == 0 {
		t.Error("no notice was sent: the test proves nothing about them")
	}
	t.Logf("%d notices sent, %d deliveries, %d after de-duplication by webhook-id", delivered, recv.deliveries, len(recv.byID))
}

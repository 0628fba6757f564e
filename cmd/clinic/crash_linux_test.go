package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// envCrashServe tells the test binary, re-run as a child, to be `clinic
// serve` with these arguments (separated by \x1f) until it is killed or its
// stdin closes.
const envCrashServe = "CLINIC_CRASH_SERVE_ARGS"

// TestCrashServeProcess is no test of its own: TestCrashProof re-runs the
// test binary with only this test selected, and it runs the real run, as
// the clinic binary would.
func TestCrashServeProcess(t *testing.T) {
	args := os.Getenv(envCrashServe)
	if args == "" {
		t.Skip("the server process of TestCrashProof")
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	if err := run(ctx, strings.Split(args, "\x1f"), noEnv, io.Discard, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// serveChild is one `clinic serve` process of the crash proof.
type serveChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	log   *logWatch
	base  string
	done  chan error
}

func startServeChild(t *testing.T, args []string) *serveChild {
	t.Helper()
	return startChild(t, "TestCrashServeProcess", envCrashServe, args)
}

// startChild re-runs the test binary as helper test process, telling it
// args through the variable env, and waits until it serves.
func startChild(t *testing.T, process, env string, args []string) *serveChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+process+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+strings.Join(args, "\x1f"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	lw := newLogWatch()
	cmd.Stderr = lw
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &serveChild{cmd: cmd, stdin: stdin, log: lw, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	select {
	case addr := <-lw.addr:
		c.base = "http://" + addr
	case err := <-c.done:
		t.Fatalf("clinic serve exited at start: %v\n%s", err, lw)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("clinic serve did not start in 60 s:\n%s", lw)
	}
	return c
}

// kill cuts the process with SIGKILL and waits for it to end.
func (c *serveChild) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop ends the process gracefully (its stdin closes).
func (c *serveChild) stop(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("clinic serve stopped with %v:\n%s", err, c.log)
		}
	case <-time.After(30 * time.Second):
		c.kill()
		t.Fatal("clinic serve did not stop within 30 s")
	}
}

// api is an HTTP client of one server that gives up on a cut request and
// never retries it.
type api struct {
	base  func() string
	token string
	http  *http.Client
}

// do sends one request; code is 0 when the request was cut (no answer).
func (a *api) do(method, path string, body, out any) int {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base()+path, r)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0
	}
	if out != nil && resp.StatusCode < 300 {
		if json.Unmarshal(b, out) != nil {
			return 0
		}
	}
	return resp.StatusCode
}

// crashLoad is what the clients were told: every acknowledged command.
type crashLoad struct {
	mu       sync.Mutex
	placed   map[string]placedVisit // by reservation id
	ended    map[string]string      // reservation id -> "cancelled" / "no_show", acknowledged
	final    map[string]string      // record id -> invoice id, acknowledged finalisations
	paid     map[string]int64       // invoice id -> acknowledged payments' sum
	cutPay   map[string]int64       // invoice id -> payments whose answer was cut
	commands atomic.Int64           // acknowledged (2xx) commands
	refused  atomic.Int64           // answered 4xx/5xx
	cut      atomic.Int64           // requests cut by a kill: no answer, never retried
}

type placedVisit struct {
	doctor, day, record string
	checkedIn           bool
}

// step runs one random command the way a client would.
func (l *crashLoad) step(a *api, r *rand.Rand, doctors, days []string) {
	count := func(code int) bool {
		switch {
		case code == 0:
			l.cut.Add(1)
		case code < 300:
			l.commands.Add(1)
			return true
		default:
			l.refused.Add(1)
		}
		return false
	}
	slot := func(day string) string { return fmt.Sprintf("%sT%02d:%02d:00+09:00", day, 9+r.IntN(8), 30*r.IntN(2)) }
	l.mu.Lock()
	var id string
	var v placedVisit
	for k, pv := range l.placed { // map order is random enough
		if _, gone := l.ended[k]; !gone && r.IntN(4) == 0 {
			id, v = k, pv
			break
		}
	}
	l.mu.Unlock()
	if id == "" || r.IntN(3) == 0 {
		d, day := doctors[r.IntN(len(doctors))], days[r.IntN(len(days))]
		var res struct{ ID, MedicalRecordID string }
		body := map[string]any{"customer": map[string]string{"name": "Jackson", "phone": fmt.Sprintf("010-%04d-%04d", r.IntN(10000), r.IntN(10000))},
			"pet": map[string]string{"name": "Coco", "species": "dog"}, "doctorId": d, "slot": slot(day)}
		if count(a.do("POST", "/api/v1/reservations", body, &res)) {
			l.mu.Lock()
			l.placed[res.ID] = placedVisit{doctor: d, day: day, record: res.MedicalRecordID}
			l.mu.Unlock()
		}
		return
	}
	res, rec := "/api/v1/reservations/"+id, "/api/v1/medical-records/"+v.record
	switch k := r.IntN(10); {
	case k == 0:
		count(a.do("POST", res+"/reschedule", map[string]string{"slot": slot(v.day)}, nil))
	case k == 1 || k == 2:
		what, path := "cancelled", "/cancel"
		if k == 2 {
			what, path = "no_show", "/no-show"
		}
		if count(a.do("POST", res+path, nil, nil)) {
			l.mu.Lock()
			l.ended[id] = what
			l.mu.Unlock()
		}
	case k == 3:
		if count(a.do("POST", res+"/check-in", nil, nil)) {
			l.mu.Lock()
			v.checkedIn = true
			l.placed[id] = v
			l.mu.Unlock()
		}
	case k == 4:
		count(a.do("POST", rec+"/diagnosis", map[string]string{"findings": "healthy", "diagnosis": "routine check"}, nil))
	case k == 5:
		count(a.do("POST", rec+"/treatments", map[string]any{"items": []map[string]any{{"code": "CONSULT", "quantity": 1}}}, nil))
	case k == 6 || k == 7:
		var fin struct{ InvoiceID string }
		if count(a.do("POST", rec+"/finalize", nil, &fin)) {
			l.mu.Lock()
			l.final[v.record] = fin.InvoiceID
			l.mu.Unlock()
		}
	default:
		l.mu.Lock()
		inv := l.final[v.record]
		l.mu.Unlock()
		if inv == "" {
			return
		}
		amount := int64(1000 * (1 + r.IntN(3)))
		code := a.do("POST", "/api/v1/invoices/"+inv+"/payments", map[string]any{"amount": amount, "currency": "KRW", "method": "card"}, nil)
		l.mu.Lock()
		switch {
		case code == 0:
			l.cutPay[inv] += amount
		case code < 300:
			l.paid[inv] += amount
		}
		l.mu.Unlock()
		count(code)
	}
}

// crashRounds is how many times TestCrashProof kills the server: a few in
// the normal run, more in the long mode (CLINIC_LONG_TESTS, set by .ci/run).
func crashRounds() (kills int, load time.Duration) {
	if n, err := strconv.Atoi(os.Getenv("CLINIC_LONG_TESTS")); err == nil && n > 0 {
		return 12, 3 * time.Second
	}
	return 4, 1500 * time.Millisecond
}

// sentNotice is a notice as GET /api/v1/notifications lists it, as far as
// the process tests check it.
type sentNotice struct {
	ID, Status string
	Attempts   []struct{ Error string }
}

// allNotices waits until no notice is pending and returns every one, all
// pages of the list.
func allNotices(t *testing.T, a *api) []sentNotice {
	t.Helper()
	var sent []sentNotice
	waitFor(t, 90*time.Second, "every notice to go out", func() bool {
		sent = sent[:0]
		cursor := ""
		for {
			var page struct {
				Notifications []sentNotice
				Next          string
			}
			if a.do("GET", "/api/v1/notifications?limit=200&cursor="+cursor, nil, &page) != http.StatusOK {
				return false
			}
			for _, m := range page.Notifications {
				if m.Status == "pending" {
					return false
				}
				sent = append(sent, m)
			}
			if page.Next == "" {
				return true
			}
			cursor = page.Next
		}
	})
	return sent
}

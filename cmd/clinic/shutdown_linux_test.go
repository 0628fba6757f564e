package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envMainArgs tells the test binary, re-run as a child, to be the clinic
// binary itself: main with these arguments (separated by \x1f), signals
// and exit code included.
const envMainArgs = "CLINIC_MAIN_ARGS"

// TestMainProcess is no test of its own: the shutdown tests re-run the
// test binary with only this test selected, and it runs main, as the
// clinic binary would.
func TestMainProcess(t *testing.T) {
	args := os.Getenv(envMainArgs)
	if args == "" {
		t.Skip("the clinic process of the shutdown tests")
	}
	os.Args = append([]string{"clinic"}, strings.Split(args, "\x1f")...)
	main() // exits 1 on an error
	os.Exit(0)
}

// heldRequest is a POST whose handler is running: its headers are sent,
// and the server has asked for the body (100 Continue), which is not sent
// yet.
type heldRequest struct {
	conn net.Conn
	br   *bufio.Reader
	req  *http.Request
	body []byte
}

// holdRequest sends the headers of a request with body to addr and waits
// until the handler reads the body.
func holdRequest(t *testing.T, addr, method, path, token string, body any) *heldRequest {
	t.Helper()
	b, _ := json.Marshal(body)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req, _ := http.NewRequest(method, "http://"+addr+path, nil)
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		method, path, addr, token, len(b))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("%s %s: want 100 Continue, got %q %v", method, path, line, err)
	}
	if blank, err := br.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q %v", blank, err)
	}
	return &heldRequest{conn: conn, br: br, req: req, body: b}
}

// finish sends the body and returns the answer.
func (h *heldRequest) finish(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	if _, err := h.conn.Write(h.body); err != nil {
		t.Fatalf("send the body of the request in flight: %v", err)
	}
	resp, err := http.ReadResponse(h.br, h.req)
	if err != nil {
		t.Fatalf("the request in flight was cut: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("the answer in flight was cut: %v", err)
	}
	return resp, b
}

// refused reports whether addr refuses new connections.
func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// TestGracefulShutdown runs the clinic binary (every role, embedded stores)
// as a child process, holds four bookings in flight (their handlers are
// reading the bodies) and sends SIGTERM: /readyz says not ready at once
// (the shutdown check), while --shutdown-delay lets a load balancer see it;
// then new connections are refused; each booking in flight, finished only
// now, gets its real answer (201, and the reservation exists); the process
// exits 0 within --shutdown-grace. After
// a restart, each read model has taken in every event exactly once: its
// live copy's count of events equals a clean rebuild's.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic twice as a child process")
	}
	t.Parallel()
	data := t.TempDir()
	const grace, delay = 20 * time.Second, 4 * time.Second
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--shutdown-grace", grace.String(), "--shutdown-delay", delay.String()}
	child := startChild(t, "TestMainProcess", envMainArgs, args)
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", data, "--role", "staff", "--subject", "nurse-kim"}, noEnv, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(tok.String())
	a := &api{base: func() string { return child.base }, token: token, http: &http.Client{Timeout: 10 * time.Second}}
	day := crashDays(t)[0]
	open := map[string]any{"opens": "09:00", "closes": "17:00", "slotMinutes": 30, "capacity": 8}
	if code := a.do("PUT", "/api/v1/doctors/dr-kim/days/"+day, open, nil); code != http.StatusOK {
		t.Fatalf("open %s = %d", day, code)
	}
	booking := func(i int) map[string]any {
		return map[string]any{"customer": map[string]string{"name": "Jackson", "phone": fmt.Sprintf("010-5555-%04d", i)},
			"pet": map[string]string{"name": "Coco", "species": "dog"}, "doctorId": "dr-kim", "slot": fmt.Sprintf("%sT%02d:00:00+09:00", day, 9+i)}
	}
	var booked []string
	for i := range 3 {
		var res struct{ ID string }
		if code := a.do("POST", "/api/v1/reservations", booking(i), &res); code != http.StatusCreated {
			t.Fatalf("booking %d = %d", i, code)
		}
		booked = append(booked, res.ID)
	}

	addr := strings.TrimPrefix(child.base, "http://")
	var held []*heldRequest
	for i := 3; i < 7; i++ {
		held = append(held, holdRequest(t, addr, "POST", "/api/v1/reservations", token, booking(i)))
	}
	sent := time.Now()
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Within --shutdown-delay it still serves, but says not ready (seen
	// before the listener closes, or the requests below are refused).
	var ready struct {
		Status string
		Checks []struct{ Name, Status string }
	}
	waitFor(t, delay, "readyz to say not ready", func() bool { return a.do("GET", "/readyz", nil, nil) == http.StatusServiceUnavailable })
	if code := a.do("GET", "/readyz", nil, &ready); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz within the delay = %d", code)
	}
	// a.do decodes only 2xx bodies; read the checks of the 503 directly.
	if resp, err := http.Get(child.base + "/readyz"); err == nil {
		json.NewDecoder(resp.Body).Decode(&ready)
		resp.Body.Close()
		if len(ready.Checks) == 0 || ready.Checks[0].Name != "shutdown" || ready.Checks[0].Status != "failed" {
			t.Errorf("readyz while shutting down = %+v, want the shutdown check failed", ready)
		}
	}
	waitFor(t, grace, "new connections to be refused", func() bool { return refused(addr) })
	if took := time.Since(sent); took < delay {
		t.Errorf("the listener closed %s after SIGTERM, before the %s delay", took, delay)
	}
	if code := a.do("GET", "/api/v1/doctors", nil, nil); code != 0 {
		t.Errorf("a new request after the delay was answered %d, want refused", code)
	}
	for i, h := range held {
		resp, body := h.finish(t)
		var res struct{ ID string }
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &res) != nil || res.ID == "" {
			t.Fatalf("booking %d in flight at SIGTERM = %d %s, want 201 with its reservation", 3+i, resp.StatusCode, body)
		}
		booked = append(booked, res.ID)
	}
	select {
	case err := <-child.done:
		took := time.Since(sent)
		if err != nil {
			t.Fatalf("clinic exited with %v after SIGTERM:\n%s", err, child.log)
		}
		t.Logf("exited 0 %s after SIGTERM (grace %s)", took.Round(time.Millisecond), grace)
	case <-time.After(grace):
		child.kill()
		t.Fatalf("clinic still running %s after SIGTERM:\n%s", grace, child.log)
	}
	log := child.log.String()
	for _, want := range []string{"shutting down", "requests finished; stopping the workers", "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}

	// The restart: every booking is there, once, in the read models.
	child = startChild(t, "TestMainProcess", envMainArgs, args)
	defer func() {
		child.cmd.Process.Signal(syscall.SIGTERM)
		if err := <-child.done; err != nil {
			t.Errorf("the restarted clinic exited with %v", err)
		}
	}()
	restarted := time.Now()
	waitFor(t, 30*time.Second, "readyz after the restart", func() bool { return a.do("GET", "/readyz", nil, nil) == http.StatusOK })
	t.Logf("ready %s after the restart", time.Since(restarted).Round(time.Millisecond))
	for _, id := range booked {
		var r struct{ Data struct{ ID string } }
		if code := a.do("GET", "/api/v1/reservations/"+id, nil, &r); code != http.StatusOK || r.Data.ID != id {
			t.Errorf("reservation %s after the restart = %d %+v", id, code, r)
		}
	}
	var status struct {
		Projections []struct {
			Name        string
			Rebuildable bool
			Events      uint64
			LagEvents   int
		}
	}
	if code := a.do("GET", "/api/v1/admin/projections", nil, &status); code != http.StatusOK {
		t.Fatalf("projection status = %d", code)
	}
	// Two read models of the bookings, against a clean rebuild each (a
	// rebuild takes seconds, so not all of them).
	checked := 0
	for _, p := range status.Projections {
		if p.Name != "lookup" && p.Name != "visits" {
			continue
		}
		checked++
		out, err := cliRun(noEnv, "projections", "rebuild", p.Name, "--plain", "--server", child.base, "--token", token, "--data", t.TempDir())
		if err != nil {
			t.Fatalf("rebuild %s: %v", p.Name, err)
		}
		if want := fmt.Sprintf("rebuild %s: switched to %s~2 after %d events ", p.Name, p.Name, p.Events); p.LagEvents != 0 || !strings.Contains(out, want) {
			t.Errorf("%s took in %d events across the shutdown (lag %d); a clean rebuild: %s", p.Name, p.Events, p.LagEvents, out)
		}
	}
	if checked != 2 {
		t.Errorf("projections %+v lack lookup or visits", status.Projections)
	}
}

// TestShutdownGraceBounds: a request still in flight when --shutdown-grace
// runs out is cut, and the process exits, with an error, soon after the
// grace instead of waiting for it.
func TestShutdownGraceBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic as a child process")
	}
	t.Parallel()
	data := t.TempDir()
	child := startChild(t, "TestMainProcess", envMainArgs, []string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--roles", "command", "--shutdown-grace", "1s"})
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", data, "--role", "staff", "--subject", "nurse-kim"}, noEnv, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	h := holdRequest(t, strings.TrimPrefix(child.base, "http://"), "POST", "/api/v1/reservations", strings.TrimSpace(tok.String()), map[string]any{})
	sent := time.Now()
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-child.done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("exit %v, want 1 (the grace ran out)", err)
		}
		t.Logf("exited %v %s after SIGTERM with a request held past the 1s grace", err, time.Since(sent).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		child.kill()
		t.Fatalf("clinic still running 15 s after SIGTERM with a 1s grace:\n%s", child.log)
	}
	if !strings.Contains(child.log.String(), "requests still in flight after the grace") {
		t.Errorf("the log does not say why:\n%s", child.log)
	}
	h.conn.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := h.br.ReadByte(); err == nil {
		t.Error("the request held past the grace was answered; want it cut")
	}
}

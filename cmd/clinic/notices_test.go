package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/mongodb"
	"github.com/vetclinic/clinic/mongodb/mongotest"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/notice/webhook"
)

// deadAddr returns a loopback URL nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return out.String(), err
}

// TestNoticesCLIThroughTheRecordedAddress lists and re-queues messages
// through the staff API of the clinic serve on the data folder, found
// through the address it recorded there.
func TestNoticesCLIThroughTheRecordedAddress(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	path := filepath.Join(data, "read", "read.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	rs, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := docstore.New(rs)
	at := time.Now().UTC().Add(-time.Hour)
	for _, m := range []notice.Message{
		{ID: "m-sent", Kind: notice.KindPlaced, ReservationID: "r1", To: "010-1234-5678", Status: notice.StatusSent, Tries: 1, CreatedAt: at},
		{ID: "m-dead", Kind: notice.KindCancelled, ReservationID: "r1", To: "010-1234-5678", Status: notice.StatusDead, Tries: 12,
			LastError: "webhook m-dead: receiver answered 400 Bad Request", CreatedAt: at.Add(time.Minute)},
	} {
		if _, err := s.Add(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	rs.Close()
	// The receiver is down, so a re-queued message stays pending.
	startClinic(t, "--data", data, "--roles", "notice", "--notify", "webhook", "--webhook-url", deadAddr(t)+"/hook",
		"--webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

	out, err := runCLI(t, "notices", "list", "--data", data)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "dead") || !strings.Contains(lines[1], "400 Bad Request") ||
		!strings.Contains(lines[2], "sent") || strings.Contains(out, "1234") || !strings.Contains(out, "***-****-5678") {
		t.Errorf("list printed:\n%s", out)
	}

	out, err = runCLI(t, "notices", "retry-dead", "--data", data)
	if err != nil || !strings.Contains(out, "re-queued 1 dead") {
		t.Fatalf("retry-dead = %q, %v", out, err)
	}
	out, err = runCLI(t, "notices", "list", "--data", data, "--status", "pending", "--json")
	if err != nil || !strings.Contains(out, `"id": "m-dead"`) || strings.Contains(out, "m-sent") {
		t.Errorf("list --status pending --json = %q, %v", out, err)
	}
}

func TestNoticesGoesThroughTheRunningClinic(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	key, err := auth.LoadOrCreateKey(auth.KeyPath(data))
	if err != nil {
		t.Fatal(err)
	}
	verifier := auth.NewVerifier(auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now).Keys(),
		auth.DefaultIssuer, auth.DefaultAudience, time.Now, 0)
	var gotQuery string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := verifier.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil || !p.HasRole(auth.RoleStaff) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		gotQuery = r.URL.RawQuery
		switch r.Method + " " + r.URL.Path {
		case "GET /api/v1/notifications":
			io.WriteString(w, `{"notifications":[{"id":"m1","kind":"reservation.placed","reservationId":"r1",`+
				`"to":"***-****-5678","status":"pending","tries":3,"createdAt":"2026-11-30T01:00:00Z","lastError":"503"}]}`)
		case "POST /api/v1/notifications/retry-dead":
			io.WriteString(w, `{"requeued":2}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(api.Close)

	out, err := runCLI(t, "notices", "list", "--data", data, "--server", api.URL, "--reservation", "r1")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if gotQuery != "limit=100&reservationId=r1" || !strings.Contains(out, "pending") || !strings.Contains(out, "2026-11-30T01:00:00Z") {
		t.Errorf("list sent %q, printed:\n%s", gotQuery, out)
	}
	out, err = runCLI(t, "notices", "retry-dead", "--data", data, "--server", api.URL)
	if err != nil || strings.TrimSpace(out) != "re-queued 2 dead messages" {
		t.Errorf("retry-dead = %q, %v", out, err)
	}
	if _, err := runCLI(t, "notices", "list", "--data", data, "--server", api.URL, "--token", "forged"); err == nil ||
		!strings.Contains(err.Error(), "401") {
		t.Errorf("list with a bad token = %v, want the clinic's 401", err)
	}
}

func TestNoticesUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"notices"}, {"notices", "send"}, {"notices", "list", "extra"}, {"notices", "list", "--limit", "x"}} {
		if _, err := runCLI(t, args...); err == nil {
			t.Errorf("%q: want an error", args)
		}
	}
	if _, err := runCLI(t, "notices", "list", "--data", t.TempDir(), "--server", deadAddr(t)); err == nil {
		t.Error("list with no clinic, no key and no store: want an error")
	}
	// -h says how the server is found: --server, else the address the
	// serve on --data recorded.
	out, err := runCLI(t, "notices", "-h")
	for _, want := range []string{"list", "retry-dead", "--server", "CLINIC_SERVER", "--data", "serve.json", "--token"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("notices -h = %v, %q; want it to document %s", err, out, want)
		}
	}
	var errOut bytes.Buffer
	_ = run(context.Background(), []string{"notices", "list", "-h"}, func(string) string { return "" }, io.Discard, &errOut)
	for _, want := range []string{"-server", "-data", "recorded"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("notices list -h = %q; want it to document %s", errOut.String(), want)
		}
	}
}

// TestNoticeRoleEndToEnd runs serve with the command and notice roles and a
// webhook: a placement and a cancellation over HTTP reach the receiver,
// signed, and staff see both as sent, through the API and the CLI.
func TestNoticeRoleEndToEnd(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, err := webhook.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	type delivery struct {
		Type string `json:"type"`
		Data struct {
			MessageID     string `json:"messageId"`
			ReservationID string `json:"reservationId"`
			To            string `json:"to"`
			Text          string `json:"text"`
		} `json:"data"`
	}
	got := make(chan delivery, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		if webhook.Sign(key, r.Header.Get("webhook-id"), ts, body) != r.Header.Get("webhook-signature") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var d delivery
		if err := json.Unmarshal(body, &d); err != nil || d.Data.MessageID != r.Header.Get("webhook-id") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got <- d
	}))
	t.Cleanup(recv.Close)

	p := startClinic(t, "--roles", "command,notice", "--notify", "webhook", "--webhook-url", recv.URL, "--webhook-secret", secret)
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil); code != http.StatusOK {
		t.Fatalf("open day = %d", code)
	}
	var placed struct{ ID string }
	if code, _ := p.do(t, "POST", "/api/v1/reservations", staff, map[string]any{
		"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
		"pet":      map[string]string{"name": "Coco", "species": "dog"},
		"doctorId": "dr-kim", "slot": day + "T10:00:00+09:00", "reason": "vaccination",
	}, &placed); code != http.StatusCreated {
		t.Fatalf("place = %d", code)
	}
	if code, _ := p.do(t, "POST", "/api/v1/reservations/"+placed.ID+"/cancel", staff, map[string]string{"reason": "아파서"}, nil); code != http.StatusOK {
		t.Fatalf("cancel = %d", code)
	}
	kinds := map[string]delivery{}
	for len(kinds) < 2 {
		select {
		case d := <-got:
			kinds[d.Type] = d
		case <-time.After(30 * time.Second): // a hang guard
			t.Fatalf("received %v, want a placement and a cancellation", kinds)
		}
	}
	pl, cn := kinds["reservation.placed"], kinds["reservation.cancelled"]
	if pl.Data.ReservationID != placed.ID || pl.Data.To != "010-1234-5678" || !strings.Contains(pl.Data.Text, "Coco") ||
		!strings.Contains(cn.Data.Text, "사유: 아파서") {
		t.Errorf("deliveries = %+v", kinds)
	}

	// The outcome is recorded just after the receiver answers.
	var list struct {
		Notifications []struct{ Status, Kind, To string }
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := p.do(t, "GET", "/api/v1/notifications?reservationId="+placed.ID, staff, nil, &list); code != http.StatusOK {
			t.Fatalf("GET notifications = %d", code)
		}
		sent := 0
		for _, n := range list.Notifications {
			if n.Status == "sent" && n.To == "***-****-5678" {
				sent++
			}
		}
		if sent == 2 && len(list.Notifications) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications = %+v, want two sent", list.Notifications)
		}
	}
	out, err := runCLI(t, "notices", "list", "--server", p.base, "--data", p.data, "--reservation", placed.ID)
	if err != nil || strings.Count(out, "sent") != 2 || !strings.Contains(out, "reservation.cancelled") {
		t.Errorf("clinic notices list = %q, %v", out, err)
	}
}

// TestCommandsDoNotWaitForADownReceiver: with the webhook receiver down,
// every booking still succeeds; when it comes back, every placement's
// message arrives, once per webhook-id.
func TestCommandsDoNotWaitForADownReceiver(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	var (
		mu       sync.Mutex
		down     = true
		accepted = map[string]int{}
	)
	arrived := make(chan string, 100)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		id := r.Header.Get("webhook-id")
		accepted[id]++
		if accepted[id] == 1 {
			arrived <- id
		}
	}))
	t.Cleanup(recv.Close)
	p := startClinic(t, "--roles", "command,notice", "--notify", "webhook", "--webhook-url", recv.URL, "--webhook-secret", secret)
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil); code != http.StatusOK {
		t.Fatalf("open day = %d", code)
	}
	const n = 12
	for i := range n {
		slot := fmt.Sprintf("%sT%02d:%02d:00+09:00", day, 9+i/2, 30*(i%2))
		if code, _ := p.do(t, "POST", "/api/v1/reservations", staff, map[string]any{
			"customer": map[string]string{"name": "N", "phone": "010-1234-5678"},
			"pet":      map[string]string{"name": "Coco", "species": "dog"},
			"doctorId": "dr-kim", "slot": slot,
		}, nil); code != http.StatusCreated {
			t.Fatalf("place %d with the receiver down = %d", i, code)
		}
	}
	mu.Lock()
	down = false
	mu.Unlock()
	for range n {
		select {
		case <-arrived:
		case <-time.After(60 * time.Second): // a hang guard: retries back off to a few seconds here
			t.Fatalf("not every message arrived after the receiver came back")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id, c := range accepted {
		if c != 1 {
			t.Errorf("message %s accepted %d times", id, c)
		}
	}
}

// TestNoticesCLIOnMongo re-queues and lists the messages of a clinic
// serve that keeps its read models in a MongoDB-wire server.
func TestNoticesCLIOnMongo(t *testing.T) {
	t.Parallel()
	// A fresh database each run: the test binary's MongoDB-wire server (or a
	// real MongoDB) keeps databases across -count runs.
	db := mongotest.Database(t)
	url, name := mongotest.URL(t), db.Name()
	ctx := context.Background()
	rs, disconnect, err := mongodb.Connect(ctx, url, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disconnect(ctx) })
	s := docstore.New(rs)
	if _, err := s.Add(ctx, notice.Message{ID: "m-dead", Kind: notice.KindPlaced, ReservationID: "r1", To: "010-1234-5678",
		Status: notice.StatusDead, Tries: 3, LastError: "400", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	p := startClinic(t, "--mongo", url, "--mongo-db", name, "--roles", "notice", "--notify", "webhook",
		"--webhook-url", deadAddr(t)+"/hook", "--webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	out, err := runCLI(t, "notices", "retry-dead", "--server", p.base, "--data", p.data)
	if err != nil || !strings.Contains(out, "re-queued 1 dead") {
		t.Fatalf("retry-dead = %q, %v", out, err)
	}
	out, err = runCLI(t, "notices", "list", "--server", p.base, "--data", p.data)
	if err != nil || !strings.Contains(out, "pending") {
		t.Fatalf("list = %q, %v", out, err)
	}
	if !strings.Contains(out, "r1") {
		t.Errorf("list printed %q, want the message", out)
	}
}

// TestNoticeAndProjectorRolesCatchUpAfterBeingStopped: reservations placed
// while only the command role runs are all told to the customer, once each,
// and all visible in the lookup, once the notice and projector roles start
// on the same data folder.
func TestNoticeAndProjectorRolesCatchUpAfterBeingStopped(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	var (
		mu       sync.Mutex
		accepted = map[string]int{} // per webhook-id
		byRes    = map[string]int{} // placements per reservation
	)
	arrived := make(chan struct{}, 100)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d struct {
			Type string
			Data struct{ ReservationID string }
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &d)
		mu.Lock()
		defer mu.Unlock()
		id := r.Header.Get("webhook-id")
		accepted[id]++
		if accepted[id] == 1 && d.Type == "reservation.placed" {
			byRes[d.Data.ReservationID]++
			arrived <- struct{}{}
		}
	}))
	t.Cleanup(recv.Close)

	first := startClinic(t, "--roles", "command")
	staff := first.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	if code, _ := first.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff,
		map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1}, nil); code != http.StatusOK {
		t.Fatalf("open day = %d", code)
	}
	const n = 8
	var ids []string
	for i := range n {
		var placed struct{ ID string }
		slot := fmt.Sprintf("%sT%02d:%02d:00+09:00", day, 9+i/2, 30*(i%2))
		if code, _ := first.do(t, "POST", "/api/v1/reservations", staff, map[string]any{
			"customer": map[string]string{"name": "N", "phone": "010-1234-5678"},
			"pet":      map[string]string{"name": "Coco", "species": "dog"},
			"doctorId": "dr-kim", "slot": slot,
		}, &placed); code != http.StatusCreated {
			t.Fatalf("place %d = %d", i, code)
		}
		ids = append(ids, placed.ID)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startClinic(t, "--data", first.data, "--roles", "command,query,projector,notice",
		"--notify", "webhook", "--webhook-url", recv.URL, "--webhook-secret", secret)
	for range n {
		select {
		case <-arrived:
		case <-time.After(30 * time.Second): // a hang guard
			t.Fatal("not every placement was told after the notice role started")
		}
	}
	for _, id := range ids {
		var got struct{ Status string }
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var raw json.RawMessage // a 404 (not projected yet) is a problem document
			code, _ := second.do(t, "GET", "/api/v1/lookup/reservations/"+id, staff, nil, &raw)
			if code == http.StatusOK && json.Unmarshal(raw, &got) == nil && got.Status == "booked" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("lookup of %s = %d %+v after the projector started", id, code, got)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if byRes[id] != 1 {
			t.Errorf("reservation %s told %d times, want once", id, byRes[id])
		}
	}
	for id, c := range accepted {
		if c != 1 {
			t.Errorf("message %s accepted %d times", id, c)
		}
	}
}

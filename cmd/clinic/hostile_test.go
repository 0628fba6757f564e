package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dialClinic opens a raw connection to the clinic.
func dialClinic(t testing.TB, p *clinicProcess) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// heapAfterGC is the live heap of this process (the clinic runs in it).
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// served reports whether a fresh client gets /healthz within wait.
func served(p *clinicProcess, wait time.Duration) error {
	cl := &http.Client{Timeout: wait, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := cl.Get(p.base + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// TestHeaderFloodMemory: 300 unauthenticated connections each push an
// unfinished 1000 KB header (the attack that took the server from 73 to
// 587 MB). The server answers each at a few KiB with 431, so its heap
// stays flat, and a normal client is served meanwhile. It runs alone (not
// in parallel) so the heap it measures is the flood's.
func TestHeaderFloodMemory(t *testing.T) {
	p := startClinic(t)
	const conns, headerKB = 300, 1000
	before := heapAfterGC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	})
	chunk := []byte(strings.Repeat("a", 64<<10))
	var writers sync.WaitGroup
	for range conns {
		c := dialClinic(t, p)
		writers.Go(func() {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: clinic\r\nX-Flood: "); err != nil {
				return
			}
			for sent := 0; sent < headerKB<<10; sent += len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					return // the server answered and hung up
				}
			}
		})
	}
	writers.Wait()
	held := heapAfterGC()
	if err := served(p, 2*time.Second); err != nil {
		t.Errorf("a normal client during the flood: %v", err)
	}
	close(stop)
	sampler.Wait()
	growth := int64(held) - int64(before)
	peakGrowth := int64(peak.Load()) - int64(before)
	t.Logf("%d connections x %d KB unfinished header: live heap %+.1f MiB after the flood, peak in use %+.1f MiB",
		conns, headerKB, float64(growth)/(1<<20), float64(peakGrowth)/(1<<20))
	if growth > 32<<20 || peakGrowth > 96<<20 {
		t.Errorf("the header flood grew the heap by %d MiB (peak %d MiB); want a few KiB per connection",
			growth>>20, peakGrowth>>20)
	}
}

// TestHeaderTooLargeIsProblemJSON: a header over the limit is answered
// 431 with a problem+json body, as every error of the API, although
// net/http writes it before any handler runs.
func TestHeaderTooLargeIsProblemJSON(t *testing.T) {
	t.Parallel()
	p := startClinic(t)
	c := dialClinic(t, p)
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: clinic\r\nX-Big: "+strings.Repeat("b", 16<<10)+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var prob problemBody
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || resp.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(body, &prob) != nil || prob.Status != 431 || prob.Type != "/problems/header-too-large" {
		t.Fatalf("%s %q %s, want 431 problem+json", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	// Under the limit, a header of a few KiB (a long token, cookies) is fine.
	req, _ := http.NewRequest("GET", p.base+"/healthz", nil)
	req.Header.Set("X-Fine", strings.Repeat("f", 6<<10))
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
		t.Fatalf("a 6 KiB header: %v %v", r, err)
	} else {
		r.Body.Close()
	}
}

// TestSlowlorisDropped: hundreds of connections that never finish their
// header neither stop a normal client nor stay: the server drops each
// after its read-header timeout (5 s).
func TestSlowlorisDropped(t *testing.T) {
	t.Parallel()
	p := startClinic(t)
	const conns = 300
	cs := make([]net.Conn, conns)
	start := time.Now()
	for i := range cs {
		cs[i] = dialClinic(t, p)
		if _, err := io.WriteString(cs[i], "GET /healthz HTTP/1.1\r\nHost: clinic\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
	}
	if err := served(p, 2*time.Second); err != nil {
		t.Fatalf("a normal client beside %d unfinished headers: %v", conns, err)
	}
	var last time.Duration
	for i, c := range cs {
		c.SetReadDeadline(start.Add(15 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("connection %d: %v, want the server to close it", i, err)
		}
		last = time.Since(start)
	}
	t.Logf("%d unfinished headers all dropped %v after they began", conns, last.Round(10*time.Millisecond))
	if last < 4*time.Second {
		t.Errorf("dropped after %v: before the read-header timeout", last)
	}
}

// TestConnectionLimit: with --max-connections 8, eight clients that hold
// their connections mid-request keep a ninth waiting (the process's file
// descriptors stay bounded); idle keep-alive connections do not: the
// longest idle is closed to make room.
func TestConnectionLimit(t *testing.T) {
	t.Parallel()
	p := startClinic(t, "--max-connections", "8")
	idle := make([]net.Conn, 8)
	for i := range idle {
		idle[i] = dialClinic(t, p)
		if _, err := io.WriteString(idle[i], "GET /healthz HTTP/1.1\r\nHost: clinic\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(idle[i]), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close() // the connection stays open, idle
	}
	if err := served(p, 3*time.Second); err != nil {
		t.Fatalf("a new client while 8 idle keep-alives fill the limit: %v", err)
	}
	busy := make([]net.Conn, 8)
	for i := range busy {
		busy[i] = dialClinic(t, p)
		if _, err := io.WriteString(busy[i], "GET /healthz HTTP/1.1\r\nHost: clinic\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the server take them all (and close the idle ones)
	if err := served(p, 500*time.Millisecond); err == nil {
		t.Fatal("a ninth client was served while 8 connections were mid-request: no limit")
	}
	busy[0].Close()
	if err := served(p, 3*time.Second); err != nil {
		t.Fatalf("after one connection closed: %v", err)
	}
}

// TestBoundsFlags: the bounds come from flags or CLINIC_* variables, and
// nonsense is refused.
func TestBoundsFlags(t *testing.T) {
	t.Parallel()
	env := func(k string) string {
		return map[string]string{"CLINIC_MAX_CONNECTIONS": "100", "CLINIC_LOOKUP_RATE": "2.5", "CLINIC_LOOKUP_BURST": "7"}[k]
	}
	c, err := parseServe(nil, env, io.Discard)
	if err != nil || c.MaxConnections != 100 || c.LookupRate != 2.5 || c.LookupBurst != 7 {
		t.Errorf("from the environment: %+v %v", c.Config, err)
	}
	c, err = parseServe(nil, noEnv, io.Discard)
	if err != nil || c.MaxConnections != 0 || c.LookupRate != 5 || c.LookupBurst != 20 {
		t.Errorf("defaults: %+v %v", c.Config, err)
	}
	for _, args := range [][]string{{"--max-connections", "-1"}, {"--lookup-rate", "-1"}, {"--lookup-burst", "0"}} {
		if _, err := parseServe(args, noEnv, io.Discard); err == nil {
			t.Errorf("%v parsed", args)
		}
	}
}

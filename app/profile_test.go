package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

func TestCheckPprofListen(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "127.0.0.1:0": true, "[::1]:6060": true, "localhost:6060": true,
		":6060": false, "0.0.0.0:6060": false, "10.0.0.1:6060": false, "example.com:6060": false, "6060": false,
	} {
		if err := CheckPprofListen(addr); (err == nil) != ok {
			t.Errorf("CheckPprofListen(%q) = %v, want ok %v", addr, err, ok)
		}
	}
}

// TestCPUWindowLabelsRoles profiles a window in which a goroutine labelled
// as the projector spins, and finds its samples under role=projector.
func TestCPUWindowLabelsRoles(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(pprofHandler())
	t.Cleanup(srv.Close)
	post := func(path string) *http.Response {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	problem := func(resp *http.Response, status int) {
		t.Helper()
		var p struct{ Status int }
		if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%d %s, want %d problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), status)
		}
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.Status != status {
			t.Fatalf("problem %+v %v", p, err)
		}
	}
	problem(post("/debug/pprof/cpu/stop"), http.StatusConflict)
	if resp, err := http.Get(srv.URL + "/debug/pprof/cpu/start"); err != nil {
		t.Fatal(err)
	} else {
		defer resp.Body.Close()
		problem(resp, http.StatusMethodNotAllowed)
	}
	if resp := post("/debug/pprof/cpu/start"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	problem(post("/debug/pprof/cpu/start"), http.StatusConflict)
	done := make(chan struct{})
	go withRole(context.Background(), "projector", func(context.Context) {
		defer close(done)
		for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		}
	})
	<-done
	resp := post("/debug/pprof/cpu/stop")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	p, err := profile.Parse(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var labelled int64
	for _, s := range p.Sample {
		if len(s.Label[RoleLabel]) == 1 && s.Label[RoleLabel][0] == "projector" {
			labelled += s.Value[0]
		}
	}
	if labelled == 0 {
		t.Errorf("no samples labelled role=projector among %d", len(p.Sample))
	}
	if resp := post("/debug/pprof/cpu/start"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("start after stop: %d", resp.StatusCode)
	}
	post("/debug/pprof/cpu/stop")
}

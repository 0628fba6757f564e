package main

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFullDiskReadiness runs the clinic (command and projector roles, the
// embedded event store and read store) on a real 24 MiB tmpfs and fills
// it: commands answer 503 saying the disk is full (not that the clinic is
// busy), /readyz says not ready and why, each store that hits the full disk logs one error (requests refused meanwhile are warnings); once
// space is freed both recover without a restart: commands succeed and
// /readyz is ready again. Before, /readyz answered 200 while every command
// failed. It skips where mounting is not permitted.
func TestFullDiskReadiness(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if err := syscall.Mount("tmpfs", data, "tmpfs", 0, "size="+strconv.Itoa(24<<20)); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v): the full-disk test needs root with CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() { syscall.Unmount(data, syscall.MNT_DETACH) })
	p := startClinicIn(t, data, "--roles", "command,projector")
	staff := p.token(t, "staff", "nurse-kim")
	day := workingDays(t, 1)[0]
	open := map[string]any{"opens": "09:00", "closes": "18:00", "slotMinutes": 30, "capacity": 1000}
	if code, _ := p.do(t, "PUT", "/api/v1/doctors/dr-kim/days/"+day, staff, open, nil); code != http.StatusOK {
		t.Fatalf("open day = %d", code)
	}
	var prob problemBody
	place := func() (int, http.Header) {
		t.Helper()
		prob = problemBody{}
		body := map[string]any{"customer": map[string]string{"name": "Jackson", "phone": "010-1234-5678"},
			"pet": map[string]string{"name": "Coco", "species": "dog"}, "doctorId": "dr-kim", "slot": day + "T10:00:00+09:00"}
		return p.do(t, "POST", "/api/v1/reservations", staff, body, &prob)
	}
	if code, _ := place(); code != http.StatusCreated {
		t.Fatalf("place before the disk filled = %d %+v", code, prob)
	}
	ballast := fill(t, filepath.Join(data, "ballast"))
	refused := 0
	for i := 0; ; i++ {
		code, hdr := place()
		if code == http.StatusServiceUnavailable {
			refused++
			if prob.Type != "/problems/storage-failed" || !strings.Contains(prob.Detail, "disk full") || strings.Contains(prob.Title, "busy") {
				t.Fatalf("503 on a full disk says %+v, want storage-failed saying the disk is full", prob)
			}
			if hdr.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			if refused == 8 { // past the breaker's threshold too
				break
			}
			continue
		}
		if code != http.StatusCreated || i > 2000 {
			t.Fatalf("place #%d on a full disk = %d %+v", i, code, prob)
		}
	}
	var ready struct{ Type, Detail string }
	if code, _ := p.do(t, "GET", "/readyz", "", nil, &ready); code != http.StatusServiceUnavailable || ready.Type != "/problems/not-ready" || !strings.Contains(ready.Detail, "cannot write") {
		t.Fatalf("readyz on a full disk = %d %+v, want 503 saying a store cannot write", code, ready)
	}
	t.Logf("on the full disk: %d commands refused; readyz %q", refused, ready.Detail)

	freed := time.Now()
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "a command to succeed after space was freed", func() bool { code, _ := place(); return code == http.StatusCreated })
	t.Logf("commands succeed %v after space was freed", time.Since(freed).Round(time.Millisecond))
	waitFor(t, 60*time.Second, "readyz to say ready", func() bool { code, _ := p.do(t, "GET", "/readyz", "", nil, nil); return code == http.StatusOK })
	t.Logf("ready %v after space was freed", time.Since(freed).Round(time.Millisecond))
	log := p.log.String()
	es := strings.Count(log, `level=ERROR msg="event store cannot write`)
	rs := strings.Count(log, `level=ERROR msg="read store cannot write`)
	if es != 1 || rs > 1 || strings.Count(log, "level=ERROR") != es+rs {
		t.Errorf("want one error line from each store that hit the full disk, and no other:\n%s", log)
	}
}

// fill writes path until the filesystem is full and returns it.
func fill(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// waitFor polls ok every 100 ms until it holds, failing t after limit.
func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

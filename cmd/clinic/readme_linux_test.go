package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tryItBlock returns the shell block under the README's "Try it".
func tryItBlock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## Try it")
	if i < 0 {
		t.Fatal(`README has no "## Try it"`)
	}
	s = s[i:]
	start := strings.Index(s, "```sh\n")
	if start < 0 {
		t.Fatal("Try it has no sh block")
	}
	s = s[start+len("```sh\n"):]
	end := strings.Index(s, "```")
	if end < 0 {
		t.Fatal("Try it's sh block does not end")
	}
	return s[:end]
}

// TestReadmeTryIt runs the README's "Try it" block with bash, as pasted,
// against a clinic serve built from the tree: its own build line is
// swapped for the test's build (same command, into a temporary folder that
// is also the working directory, so ./data is there), the server listens
// on a random loopback port through CLINIC_LISTEN, and each curl's status
// is checked. The dates are the block's own, computed from today.
func TestReadmeTryIt(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	block := tryItBlock(t)
	const build = "go build -o clinic ./cmd/clinic"
	if !strings.HasPrefix(block, build) {
		t.Fatalf("the block does not begin with %q:\n%s", build, block)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	gb := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "clinic"), ".")
	if out, err := gb.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	script := "set -u\n: " + block // the build line becomes a no-op; the rest runs as pasted
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CLINIC_LISTEN="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, the script's process group (the server among it)
	// is stopped by its id.
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err = cmd.Wait()
	out := stdout.String()
	if err != nil {
		t.Fatalf("bash: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	codes := regexp.MustCompile(`-> (\d{3})\n`).FindAllStringSubmatch(out, -1)
	var got []string
	for _, c := range codes {
		got = append(got, c[1])
	}
	if want := []string{"200", "200", "200", "200"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("statuses %v, want %v\nstdout:\n%s\nstderr:\n%s", got, want, out, stderr.String())
	}
	if !regexp.MustCompile(`\{"id":"[0-9a-f-]{36}","medicalRecordId"`).MatchString(out) {
		t.Errorf("no booking in the output:\n%s", out)
	}
	if !strings.Contains(out, "lookup") {
		t.Errorf("no projections status in the output:\n%s", out)
	}
	// The block stopped its server: its port is free again.
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("the server still listens on %s after the block", addr)
	}
}

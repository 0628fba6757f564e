package bench

import (
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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/pprof/profile"
)

// ServerOptions say how StartServer runs `clinic serve`.
type ServerOptions struct {
	Binary string   // the clinic binary; empty is this executable
	Env    []string // extra environment of the child (after this process's)
	Roles  string   // --roles; empty runs every role, as `clinic serve` does by default
	Clinic []byte   // the clinic configuration (JSON); nil uses the example clinic
}

// Server is `clinic serve` running as a child process on a temporary data
// folder, with its profiles on a loopback port.
type Server struct {
	Base  string // http://host:port of the API
	Pprof string // http://host:port of --pprof-listen
	Data  string // the data folder (its key signs tokens)
	cmd   *exec.Cmd
	done  chan error
	log   *tail
}

// StartServer starts `clinic serve` as a user starts it, plus
// --pprof-listen, as a child process, and waits until /readyz says ready.
// It returns an error when the binary cannot start or is not ready within
// a minute; the child's last log lines are in the error.
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("bench: the clinic binary: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "clinic-bench-")
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeLoopbackPort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--log-level", "warn", "--pprof-listen", pprofAddr}
	if o.Clinic != nil {
		cfg := filepath.Join(dir, "bench-clinic.json")
		if err := os.WriteFile(cfg, o.Clinic, 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		args = append(args, "--config", cfg)
	}
	if o.Roles != "" {
		args = append(args, "--roles", o.Roles)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	log := &tail{}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	s := &Server{Pprof: "http://" + pprofAddr, Data: dir, cmd: cmd, done: make(chan error, 1), log: log}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// PID is the child's process ID.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// waitReady waits for the address the child records in its data folder,
// then for /readyz to answer 200.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("bench: clinic serve exited at start: %v\n%s", err, s.log)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if s.Base == "" {
			var rec struct{ URL string }
			b, err := os.ReadFile(filepath.Join(s.Data, "serve.json"))
			if err != nil || json.Unmarshal(b, &rec) != nil || rec.URL == "" {
				continue
			}
			s.Base = rec.URL
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("bench: clinic serve not ready within a minute:\n%s", s.log)
}

// Stop ends the child with SIGTERM (SIGKILL after 30 s), waits for it and
// removes its data folder. It returns the child's exit error, if any.
func (s *Server) Stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		err = fmt.Errorf("bench: clinic serve did not stop within 30 s: %v", <-s.done)
	}
	os.RemoveAll(s.Data)
	if err != nil {
		return fmt.Errorf("bench: clinic serve: %w\n%s", err, s.log)
	}
	return nil
}

// CPU is the user and system CPU time the child has used so far, from
// /proc/<pid>/stat.
func (s *Server) CPU() (time.Duration, error) { return ProcCPU(s.PID()) }

// ProcCPU is the user and system CPU time of process pid (Linux
// /proc/<pid>/stat, utime and stime in clock ticks of 1/100 s).
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count after ")".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bench: unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("bench: short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on every Linux ABI
	return time.Duration(utime+stime) * tick, nil
}

// StartCPUProfile starts the child's CPU window.
func (s *Server) StartCPUProfile(ctx context.Context) error {
	_, err := s.post(ctx, "/debug/pprof/cpu/start", http.StatusNoContent)
	return err
}

// StopCPUProfile ends the child's CPU window and sums its samples by role
// label (RoleCPU).
func (s *Server) StopCPUProfile(ctx context.Context) (RoleCPU, error) {
	b, err := s.post(ctx, "/debug/pprof/cpu/stop", http.StatusOK)
	if err != nil {
		return nil, err
	}
	p, err := profile.ParseData(b)
	if err != nil {
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	return SumByRole(p)
}

func (s *Server) post(ctx context.Context, path string, want int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Pprof+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("bench: %s: %d %s", path, resp.StatusCode, b)
	}
	return b, err
}

// RoleCPU is CPU time by role label ("command", "query", "projector",
// "notice", "eventstore"; "other" for unlabelled samples: the Go runtime
// and the HTTP server outside handlers).
type RoleCPU map[string]time.Duration

// Roles are the labels in the order reports list them.
var reportRoles = []string{"command", "query", "projector", "notice", "eventstore", "other"}

// ReportRoles lists the labels RoleCPU reports, in order.
func ReportRoles() []string { return reportRoles }

// Total is the CPU of every sample.
func (r RoleCPU) Total() time.Duration {
	var t time.Duration
	for _, d := range r {
		t += d
	}
	return t
}

// SumByRole sums a CPU profile's samples by their role label. It returns
// an error when p has no cpu/nanoseconds sample type.
func SumByRole(p *profile.Profile) (RoleCPU, error) {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			idx = i
		}
	}
	if idx < 0 {
		return nil, errors.New("bench: the profile has no cpu/nanoseconds samples")
	}
	out := RoleCPU{}
	for _, s := range p.Sample {
		role := "other"
		if l := s.Label["role"]; len(l) > 0 {
			role = l[0]
		}
		out[role] += time.Duration(s.Value[idx])
	}
	return out, nil
}

// freeLoopbackPort is a loopback address no one listens on just now.
func freeLoopbackPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// tail keeps the last 16 KiB a child wrote, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 16<<10 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-8<<10:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

//go:build linux

package conformance

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/eventstore"
	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// The crash test re-runs this test binary as the server process; these
// variables tell the child where its data and its address file are.
const (
	envCrashDir      = "CONFORMANCE_CRASH_DATA_DIR"
	envCrashAddrFile = "CONFORMANCE_CRASH_ADDR_FILE"
	envCrashListen   = "CONFORMANCE_CRASH_LISTEN"
)

// TestCrashHelperProcess is no test of its own: TestCrash starts the test
// binary again with only this test selected, and it serves the event store
// on the data directory it is given until it is killed (or its parent's end
// of stdin closes).
func TestCrashHelperProcess(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("the server process of TestCrash")
	}
	listen := cmp.Or(os.Getenv(envCrashListen), "127.0.0.1:0")
	srv, err := eventstore.Start(context.Background(), listen, eventstore.Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		os.Exit(2)
	}
	if f := os.Getenv(envCrashAddrFile); f != "" {
		if err := os.WriteFile(f+".tmp", []byte(srv.Addr()), 0o600); err != nil || os.Rename(f+".tmp", f) != nil {
			fmt.Fprintln(os.Stderr, "address file:", err)
			os.Exit(2)
		}
	}
	fmt.Println("LISTENING", srv.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	os.Exit(0)
}

// child is the server process of one crash cycle.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer
	addr   string
}

// startChild starts a server process on dir listening on listen.
func startChild(t *testing.T, dir, listen string) *child {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashAddrFile+"="+addrFile, envCrashListen+"="+listen)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ch := &child{cmd: cmd, stdin: stdin, stderr: new(bytes.Buffer)}
	cmd.Stderr = ch.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server process: %v", err)
	}
	t.Cleanup(func() {
		if ch.cmd.ProcessState == nil {
			ch.cmd.Process.Kill()
			ch.cmd.Wait()
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			if b, err := os.ReadFile(addrFile); err != nil || string(b) != addr {
				t.Fatalf("address file says %q (%v), stdout says %q", b, err, addr)
			}
			ch.addr = addr
			go io.Copy(io.Discard, stdout)
			return ch
		}
	}
	ch.cmd.Wait()
	t.Fatalf("server process ended before listening: %s", ch.stderr)
	return nil
}

// kill ends the server process with SIGKILL: no shutdown code runs.
func (ch *child) kill(t *testing.T) {
	t.Helper()
	if err := ch.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill server process: %v", err)
	}
	ch.cmd.Wait()
}

// ack is one acknowledged event. pos is zero where the append did not say:
// it reports the position of the last event of a batch only.
type ack struct {
	stream string
	id     uuid.UUID
	rev    uint64
	pos    esdb.Position
}

// load appends through the official client from many goroutines, each
// owning its streams and appending with exact expected revisions, until the
// server goes away. It closes warm once warmAt events are acknowledged and
// hot once hotAt are.
type load struct {
	mu      sync.Mutex
	acks    []ack
	next    map[string]uint64 // next revision of each stream
	count   atomic.Int64
	killed  atomic.Bool
	failure error
}

func (l *load) run(ctx context.Context, c *esdb.Client, streams []string, batch int, marks map[int64]chan struct{}) {
	for i := 0; !l.killed.Load() && ctx.Err() == nil; i++ {
		s := streams[i%len(streams)]
		l.mu.Lock()
		next := l.next[s]
		l.mu.Unlock()
		var exp esdb.ExpectedRevision = esdb.Revision(next - 1)
		if next == 0 {
			exp = esdb.NoStream{}
		}
		evs := newEvents("Crash", int(next), batch)
		actx, cancel := context.WithTimeout(ctx, 15*time.Second)
		res, err := c.AppendToStream(actx, s, esdb.AppendToStreamOptions{ExpectedRevision: exp}, evs...)
		cancel()
		if err != nil {
			if !l.killed.Load() {
				l.mu.Lock()
				if l.failure == nil {
					l.failure = fmt.Errorf("append to %s at %d before the kill: %w", s, next, err)
				}
				l.mu.Unlock()
			}
			return
		}
		l.mu.Lock()
		for j, ev := range evs {
			a := ack{stream: s, id: ev.EventID, rev: next + uint64(j)}
			if j == len(evs)-1 {
				a.pos = esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}
				if a.rev != res.NextExpectedVersion {
					l.failure = fmt.Errorf("append to %s at %d: acknowledged revision %d, want %d", s, next, res.NextExpectedVersion, a.rev)
				}
			}
			l.acks = append(l.acks, a)
		}
		l.next[s] = next + uint64(len(evs))
		l.mu.Unlock()
		n := l.count.Add(int64(len(evs)))
		for at, ch := range marks {
			if n >= at && n-int64(len(evs)) < at {
				close(ch)
			}
		}
	}
}

// TestCrash kills the server with SIGKILL in the middle of a concurrent
// append load, three times, and restarts it on the same data each time.
// Every acknowledged event must be there exactly once at its revision and
// position, $all as read before the kill must be a prefix of $all after it,
// and appends after the restart continue both revisions and positions.
func TestCrash(t *testing.T) {
	if esdbtest.External() {
		t.Skip("kills its own server process; not run against ESDB_URL")
	}
	t.Parallel()
	ctx := testContext(t)
	dir := t.TempDir()

	const writers, streamsPerWriter = 16, 2
	var streams [][]string
	for range writers {
		var ss []string
		for range streamsPerWriter {
			ss = append(ss, newID("crash"))
		}
		streams = append(streams, ss)
	}
	l := &load{next: map[string]uint64{}}
	for _, ss := range streams {
		for _, s := range ss {
			l.next[s] = 0
		}
	}
	var before []*esdb.RecordedEvent // $all as read before the last kill
	var lastPos esdb.Position        // end of $all after the last restart

	// Every restart listens on the first server's address, so the one client
	// reconnects by itself. A client whose server stays away gives up after
	// MaxDiscoverAttempts, and then any call still under way blocks forever
	// inside it (v4.2.0 sends to a channel nobody reads any more); allowing
	// two minutes of attempts keeps it alive across a restart.
	ch := startChild(t, dir, "127.0.0.1:0")
	addr := ch.addr
	c := esdbtest.Connect(t, "esdb://"+addr+"?tls=false&maxDiscoverAttempts=1200&discoveryInterval=100")
	for cycle := 1; cycle <= 3; cycle++ {
		if cycle > 1 {
			lastPos = verifyCrash(t, ctx, c, l, before)
		}

		start := l.count.Load()
		warm, hot := make(chan struct{}), make(chan struct{})
		marks := map[int64]chan struct{}{start + 700: warm, start + 1500: hot}
		l.killed.Store(false)
		firstAck := len(l.acks)
		var wg sync.WaitGroup
		for w := range writers {
			batch := 1
			if w%4 == 3 {
				batch = 3
			}
			wg.Go(func() { l.run(ctx, c, streams[w], batch, marks) })
		}
		waitMark(t, ctx, warm, l)
		before = readAll(t, ctx, c, esdb.ReadAllOptions{}, 1<<40)
		waitMark(t, ctx, hot, l)
		l.killed.Store(true) // writers start no new append
		ch.kill(t)
		// Appends under way fail, or, if they had not reached the old
		// server, may succeed on the new one: both are fine, and an append
		// acknowledged by the new server is checked like any other.
		ch = startChild(t, dir, addr)
		wg.Wait()
		if l.failure != nil {
			t.Fatalf("cycle %d: %v", cycle, l.failure)
		}
		// Appends after a restart land after everything before it.
		l.mu.Lock()
		for _, a := range l.acks[firstAck:] {
			if a.pos != (esdb.Position{}) && comparePositions(a.pos, lastPos) <= 0 {
				t.Errorf("cycle %d: %s@%d acknowledged at %+v, not after the end after the restart %+v", cycle, a.stream, a.rev, a.pos, lastPos)
			}
		}
		l.mu.Unlock()
		t.Logf("cycle %d: %d events acknowledged in all, $all had %d events at the snapshot", cycle, l.count.Load(), len(before))
	}

	end := verifyCrash(t, ctx, c, l, before)
	for _, ss := range streams {
		for _, s := range ss {
			next := l.next[s]
			var exp esdb.ExpectedRevision = esdb.Revision(next - 1)
			if next == 0 {
				exp = esdb.NoStream{}
			}
			res := mustAppend(t, ctx, c, s, exp, newEvent("After", int(next)))
			pos := esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}
			if res.NextExpectedVersion != next || comparePositions(pos, end) <= 0 {
				t.Fatalf("append to %s after the last restart: revision %d at %+v, want %d after %+v", s, res.NextExpectedVersion, pos, next, end)
			}
			end = pos
		}
	}
}

func waitMark(t *testing.T, ctx context.Context, mark <-chan struct{}, l *load) {
	t.Helper()
	select {
	case <-mark:
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		t.Fatalf("load did not progress (%d acknowledged, failure %v): %v", l.count.Load(), l.failure, ctx.Err())
	}
}

// verifyCrash checks the restarted server against what was acknowledged and
// read before the kill, brings each stream's next revision up to date (an
// append can be written yet unacknowledged), and returns the end of $all.
func verifyCrash(t *testing.T, ctx context.Context, c *esdb.Client, l *load, before []*esdb.RecordedEvent) esdb.Position {
	t.Helper()
	all := readAll(t, ctx, c, esdb.ReadAllOptions{}, 1<<40)
	byID := make(map[uuid.UUID]*esdb.RecordedEvent, len(all))
	for i, ev := range all {
		if byID[ev.EventID] != nil {
			t.Fatalf("event %s is in $all twice", ev.EventID)
		}
		byID[ev.EventID] = ev
		if i > 0 && comparePositions(ev.Position, all[i-1].Position) <= 0 {
			t.Fatalf("$all out of order at %d: %+v then %+v", i, all[i-1].Position, ev.Position)
		}
	}
	if len(all) < len(before) {
		t.Fatalf("$all has %d events after the restart, %d were read before the kill", len(all), len(before))
	}
	for i, ev := range before {
		got := all[i]
		if got.EventID != ev.EventID || got.Position != ev.Position || got.StreamID != ev.StreamID || got.EventNumber != ev.EventNumber {
			t.Fatalf("$all[%d] changed over the restart: was %s %s@%d at %+v, now %s %s@%d at %+v", i,
				ev.EventID, ev.StreamID, ev.EventNumber, ev.Position, got.EventID, got.StreamID, got.EventNumber, got.Position)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acks {
		ev := byID[a.id]
		if ev == nil {
			t.Fatalf("acknowledged event %s (%s@%d at %+v) is lost", a.id, a.stream, a.rev, a.pos)
		}
		if ev.StreamID != a.stream || ev.EventNumber != a.rev || (a.pos != (esdb.Position{}) && ev.Position != a.pos) {
			t.Fatalf("acknowledged event %s was %s@%d at %+v, is %s@%d at %+v", a.id, a.stream, a.rev, a.pos, ev.StreamID, ev.EventNumber, ev.Position)
		}
	}
	// Each stream holds revisions 0..n-1 with no gap, matching $all.
	for s := range l.next {
		evs, err := collect(c.ReadStream(ctx, s, esdb.ReadStreamOptions{}, 1<<40))
		if err != nil && !(errorCode(err) == esdb.ErrorCodeResourceNotFound && l.next[s] == 0) {
			t.Fatalf("read %s: %v", s, err)
		}
		for i, ev := range evs {
			if ev.EventNumber != uint64(i) || byID[ev.EventID] == nil {
				t.Fatalf("%s: event %d is revision %d (in $all: %v)", s, i, ev.EventNumber, byID[ev.EventID] != nil)
			}
		}
		if uint64(len(evs)) < l.next[s] {
			t.Fatalf("%s has %d events, %d were acknowledged", s, len(evs), l.next[s])
		}
		l.next[s] = uint64(len(evs))
	}
	if len(all) == 0 {
		return esdb.Position{}
	}
	return all[len(all)-1].Position
}

package bolt_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/projections"
)

// envKillFile tells the test binary, re-run as a child, to commit batches
// to this read-store file until it is killed.
const envKillFile = "BOLT_KILL_TEST_FILE"

// TestKillCommitProcess is no test of its own: TestKillMidCommit re-runs
// the test binary with only this test selected. It commits batch after
// batch, each with its checkpoint, as a projector does, until killed.
func TestKillCommitProcess(t *testing.T) {
	path := os.Getenv(envKillFile)
	if path == "" {
		t.Skip("the committing process of TestKillMidCommit")
	}
	s, err := bolt.Open(path, 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	cp, _, err := s.Checkpoint(ctx, killNS)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for b := cp.Position.Commit + 1; ; b++ {
		if err := s.Commit(ctx, killNS, killBatch(b), &projections.Checkpoint{Position: projections.Position{Commit: b}, Events: b}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

const killNS = "killed"

// killBatch is batch b's documents: three new ones and the running total.
func killBatch(b uint64) []projections.Write {
	pos := projections.Position{Commit: b}
	ws := []projections.Write{{Coll: "totals", Doc: projections.Doc{ID: "total", Position: pos, Body: fmt.Appendf(nil, `{"batches":%d}`, b)}}}
	for i := range 3 {
		ws = append(ws, projections.Write{Coll: "docs", Doc: projections.Doc{ID: fmt.Sprintf("%08d-%d", b, i), Position: pos,
			Keys: map[string]string{"batch": fmt.Sprint(b)}, Body: []byte(`{"n":1}`)}})
	}
	return ws
}

// TestKillMidCommit SIGKILLs a process that commits batches with their
// checkpoint to the read store, at random moments, eight times: after each
// kill the file opens, and the checkpoint says exactly which batches are
// there: each batch up to it whole, none after it. bbolt has no virtual
// filesystem to drop unsynced writes, so this shows the one-transaction
// rule under a process crash; under a power cut the same rule rests on
// bbolt writing and syncing the data pages before the meta page that
// points at them, and on the meta page's checksum (a torn meta falls back
// to the other one).
func TestKillMidCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process eight times")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "read.db")
	rng := rand.New(rand.NewPCG(5, uint64(time.Now().UnixNano())))
	var last uint64
	const kills = 8
	for k := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillCommitProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envKillFile+"="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+rng.IntN(350)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		last = checkKilled(t, path, k, last)
	}
	t.Logf("%d kills mid-commit; %d batches committed, each whole, none after its checkpoint", kills, last)
}

// checkKilled opens the file a killed process left and checks its batches
// against its checkpoint; it returns the checkpoint's batch.
func checkKilled(t *testing.T, path string, kill int, before uint64) uint64 {
	t.Helper()
	ctx := context.Background()
	s, err := bolt.Open(path, 5*time.Second)
	if err != nil {
		t.Fatalf("kill %d: open: %v", kill, err)
	}
	defer s.Close()
	cp, _, err := s.Checkpoint(ctx, killNS)
	if err != nil {
		t.Fatal(err)
	}
	b := cp.Position.Commit
	if b < before {
		t.Fatalf("kill %d: checkpoint went back from %d to %d", kill, before, b)
	}
	total, ok, err := s.Get(ctx, killNS, "totals", "total")
	if b > 0 && (err != nil || !ok || total.Position.Commit != b) {
		t.Fatalf("kill %d: checkpoint at batch %d, the running total at %v (%v, %v)", kill, b, total.Position, ok, err)
	}
	for _, n := range []uint64{1, b / 2, b, b + 1} {
		if n == 0 {
			continue
		}
		docs, err := s.Find(ctx, killNS, "docs", "batch", fmt.Sprint(n), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := 3
		if n > b {
			want = 0
		}
		if len(docs) != want {
			t.Fatalf("kill %d: batch %d has %d documents with the checkpoint at %d, want %d", kill, n, len(docs), b, want)
		}
	}
	return b
}

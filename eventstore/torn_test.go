package eventstore

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/google/uuid"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// ack is an acknowledged append: its stream, last revision and position.
type ack struct {
	stream string
	rev    int64
	pos    uint64
}

func appendN(t *testing.T, w *writer, stream string, n int) ack {
	t.Helper()
	o := getOp()
	defer putOp(o)
	o.kind, o.stream = opAppend, stream
	for i := 0; i < n; i++ {
		o.events = append(o.events, event{id: uuid.New(), eventType: []byte("T"), contentType: []byte("application/json"),
			data: []byte(fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, strings.Repeat("x", 100)))})
	}
	w.submit(o)
	if o.err != nil || o.wrong {
		t.Fatalf("append to %s: err %v wrong %v", stream, o.err, o.wrong)
	}
	return ack{stream, o.current, o.position}
}

// lastWAL returns the newest write-ahead log of the Pebble store in dir.
func lastWAL(t *testing.T, dir string) string {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no WAL in %s: %v", dir, err)
	}
	sort.Strings(logs)
	return logs[len(logs)-1]
}

// dataEnd is the offset just past the last non-zero byte: the WAL file may
// be longer than what was written.
func dataEnd(b []byte) int {
	i := len(b)
	for i > 0 && b[i-1] == 0 {
		i--
	}
	return i
}

// writeMark records pos as acknowledged, as the server's marker does.
func writeMark(t *testing.T, dir string, pos uint64) {
	t.Helper()
	f, err := vfs.Default.OpenReadWrite(filepath.Join(dir, markName), vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	m := &marker{s: &store{log: quietLog()}, f: f}
	m.s.head.Store(pos)
	m.write()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// A damaged record with whole batches after it is not a torn tail: Pebble
// stops its replay there all the same, so the mark must catch the loss of
// the acknowledged batches after it and the store refuse to open.
func TestCorruptWALMiddleRefusesToOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := openStore(dir, vfs.Default, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(s, time.Now)
	var last ack
	for i := 0; i < 30; i++ {
		last = appendN(t, w, "s", 3)
	}
	w.stop()
	writeMark(t, dir, last.pos) // as Close does
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	wal := lastWAL(t, dir)
	b, err := os.ReadFile(wal)
	if err != nil {
		t.Fatal(err)
	}
	b[dataEnd(b)/3] ^= 0xff
	if err := os.WriteFile(wal, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = openStore(dir, vfs.Default, quietLog())
	if err == nil {
		s.close()
		t.Fatal("opened a store whose log lost acknowledged events in the middle")
	}
	// Either the mark catches the loss, or Pebble itself finds whole
	// records after the damage; both refuse to serve.
	if !errors.Is(err, ErrLostEvents) && !errors.Is(err, pebble.ErrCorruption) {
		t.Fatalf("got %v, want ErrLostEvents or a corruption error", err)
	}
}

func TestTornWALTailIsRecovered(t *testing.T) {
	t.Parallel()
	for _, damage := range []string{"truncate", "corrupt"} {
		t.Run(damage, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			now := func() time.Time { return time.Unix(1700000000, 0) }
			s, err := openStore(dir, vfs.Default, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			w := newWriter(s, now)
			var acks []ack
			for i := 0; i < 30; i++ {
				acks = append(acks, appendN(t, w, fmt.Sprintf("s-%d", i%4), 1+i%5))
			}
			w.stop()
			// A crash leaves the mark up to a second behind the last sync;
			// the torn batch is newer than the mark.
			mark := acks[len(acks)-3].pos
			writeMark(t, dir, mark)
			if err := s.close(); err != nil {
				t.Fatal(err)
			}

			wal := lastWAL(t, dir)
			b, err := os.ReadFile(wal)
			if err != nil {
				t.Fatal(err)
			}
			end := dataEnd(b)
			switch damage {
			case "truncate": // a write torn in the middle of the last batch
				err = os.Truncate(wal, int64(end-40))
			case "corrupt": // garbage in the last record: its checksum fails
				b[end-60] ^= 0xff
				err = os.WriteFile(wal, b, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}

			s, err = openStore(dir, vfs.Default, quietLog())
			if err != nil {
				t.Fatalf("reopen after a torn tail: %v", err)
			}
			defer s.close()
			head := s.head.Load()
			if head < mark {
				t.Fatalf("head %d is behind the mark %d", head, mark)
			}
			if head >= acks[len(acks)-1].pos {
				t.Fatalf("head %d: the damaged last batch (ending at %d) is still served", head, acks[len(acks)-1].pos)
			}
			// Only whole batches survive: the head is the end of an acknowledged batch.
			var kept []ack
			for _, a := range acks {
				if a.pos <= head {
					kept = append(kept, a)
				}
			}
			if len(kept) == 0 || kept[len(kept)-1].pos != head {
				t.Fatalf("head %d is not the end of an acknowledged batch", head)
			}
			// Every position up to the head is a whole record, and each stream's
			// state matches the last batch that survived.
			for p := uint64(1); p <= head; p++ {
				rec, err := s.get(p)
				if err != nil {
					t.Fatalf("position %d: %v", p, err)
				}
				if _, err := parseRecord(rec); err != nil {
					t.Fatalf("position %d: %v", p, err)
				}
			}
			want := map[string]ack{}
			for _, a := range kept {
				want[a.stream] = a
			}
			for name, a := range want {
				st := s.state(name)
				if st == nil || st.last != a.rev || st.lastPos != a.pos {
					t.Fatalf("stream %s: state %+v, want revision %d at %d", name, st, a.rev, a.pos)
				}
			}
			// Positions and revisions continue after the surviving tail.
			w = newWriter(s, now)
			defer w.stop()
			lost := acks[len(acks)-1]
			next := appendN(t, w, lost.stream, 1)
			if next.pos != head+1 {
				t.Fatalf("next position %d, want %d", next.pos, head+1)
			}
			if next.rev != want[lost.stream].rev+1 {
				t.Fatalf("next revision %d, want %d", next.rev, want[lost.stream].rev+1)
			}
		})
	}
}

package eventstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Pebble ends its log replay at the first damaged record. For a torn tail
// (a crash in the middle of a write) that is right: only unacknowledged
// writes are lost. But a damaged record in the middle of the log looks the
// same to it, and the whole batches after it would vanish without a word.
// So the store keeps a mark: the newest position known to be durable and
// acknowledged, rewritten about once a second and at Close. On open, a log
// that ends before the mark has lost acknowledged events, and the store
// refuses to serve it.

// markName is the mark's file in the data directory.
const markName = "ACKNOWLEDGED"

// markEvery is how often the mark follows the head; acknowledged events
// newer than the last mark are not covered by the check.
const markEvery = time.Second

// ErrLostEvents reports a log that ends before events it once acknowledged:
// the write-ahead log is damaged beyond a torn tail.
var ErrLostEvents = errors.New("eventstore: the log lost acknowledged events")

// readMark returns the position in dir's mark, or 0 when there is none.
func readMark(fs vfs.FS, dir string) (uint64, error) {
	f, err := fs.Open(fs.PathJoin(dir, markName))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, err
	}
	if len(b) != 12 || crc32.ChecksumIEEE(b[:8]) != binary.BigEndian.Uint32(b[8:]) {
		return 0, nil // a torn mark checks nothing
	}
	return binary.BigEndian.Uint64(b), nil
}

// checkMark fails when the recovered head is behind dir's mark.
func checkMark(fs vfs.FS, dir string, head uint64) error {
	m, err := readMark(fs, dir)
	if err != nil {
		return fmt.Errorf("eventstore: read mark: %w", err)
	}
	if head < m {
		return fmt.Errorf("%w: it ends at position %d but position %d was acknowledged; "+
			"keep the directory for inspection (removing %s opens it with the loss)", ErrLostEvents, head, m, markName)
	}
	return nil
}

// marker writes the mark until stop is closed, then once more.
type marker struct {
	s       *store
	f       vfs.File
	last    uint64
	failing bool // the last write failed; logged once per run of failures
	stop    chan struct{}
	done    chan struct{}
}

func startMarker(s *store, fs vfs.FS, dir string) (*marker, error) {
	f, err := fs.OpenReadWrite(fs.PathJoin(dir, markName), vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, fmt.Errorf("eventstore: open mark: %w", err)
	}
	m := &marker{s: s, f: f, stop: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	return m, nil
}

func (m *marker) run() {
	defer close(m.done)
	t := time.NewTicker(markEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.write()
		case <-m.stop:
			return
		}
	}
}

// write records the published head, which the syncer publishes only after
// its fsync, so the mark never runs ahead of the disk. While the disk
// fails, it warns once and tries again each second.
func (m *marker) write() {
	head := m.s.head.Load()
	if head == m.last {
		return
	}
	var b [12]byte
	binary.BigEndian.PutUint64(b[:], head)
	binary.BigEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[:8]))
	_, err := m.f.WriteAt(b[:], 0)
	if err == nil {
		err = m.f.Sync()
	}
	if err != nil {
		if !m.failing {
			m.s.log.Warn("eventstore: cannot write the mark; trying again each second", "err", err)
		}
		m.failing = true
		return
	}
	if m.failing {
		m.s.log.Info("eventstore: the mark is written again", "head", head)
	}
	m.failing = false
	m.last = head
}

// close writes the final mark (call it after the writer stopped) and closes
// the file.
func (m *marker) close() error {
	close(m.stop)
	<-m.done
	m.write()
	return m.f.Close()
}

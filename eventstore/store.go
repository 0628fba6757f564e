package eventstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Keys in Pebble. Every kind starts with its own byte so kinds never mix:
//
//	'a' + be64(position)                        -> stored record ($all log)
//	's' + uvarint(len) + stream + be64(revision) -> be64(position)
//	'm' + stream                                 -> encoded streamState
const (
	kindAll    = 'a'
	kindIndex  = 's'
	kindStream = 'm'
)

// tombstoneRevision is the revision of the event that hard-deletes a stream.
const tombstoneRevision = math.MaxInt64

func allKey(pos uint64) []byte {
	k := make([]byte, 9)
	k[0] = kindAll
	binary.BigEndian.PutUint64(k[1:], pos)
	return k
}

func appendAllKey(b []byte, pos uint64) []byte {
	b = append(b, kindAll)
	return binary.BigEndian.AppendUint64(b, pos)
}

func appendIndexPrefix(b []byte, stream string) []byte {
	b = append(b, kindIndex)
	b = binary.AppendUvarint(b, uint64(len(stream)))
	return append(b, stream...)
}

func appendIndexKey(b []byte, stream string, rev uint64) []byte {
	return binary.BigEndian.AppendUint64(appendIndexPrefix(b, stream), rev)
}

// streamMeta is what the store honours of a stream's metadata ($$stream).
type streamMeta struct {
	maxCount int64         // 0: unlimited
	maxAge   time.Duration // 0: unlimited
	tb       int64         // truncate before; 0: none
}

// streamState is the committed state of one stream. Published values are
// never modified, so readers may keep a pointer without a lock.
type streamState struct {
	last       int64  // last revision, -1 when the stream has no event
	lastPos    uint64 // position of the last event
	deleted    bool   // soft-deleted: reads as not found until the next append
	tombstoned bool
	meta       streamMeta
}

// exists reports whether the stream counts as existing for expected-revision
// checks and reads.
func (s *streamState) exists() bool {
	return s != nil && s.last >= 0 && !s.deleted && !s.tombstoned
}

const stateLen = 8 + 8 + 1 + 8 + 8 + 8

// appendEncoded appends the stored form of s to b.
func (s *streamState) appendEncoded(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(s.last))
	b = binary.BigEndian.AppendUint64(b, s.lastPos)
	var flags byte
	if s.deleted {
		flags |= 1
	}
	if s.tombstoned {
		flags |= 2
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(s.meta.maxCount))
	b = binary.BigEndian.AppendUint64(b, uint64(s.meta.maxAge))
	return binary.BigEndian.AppendUint64(b, uint64(s.meta.tb))
}

func decodeState(b []byte) (*streamState, error) {
	if len(b) != stateLen {
		return nil, fmt.Errorf("eventstore: stream state of %d bytes", len(b))
	}
	s := &streamState{
		last:    int64(binary.BigEndian.Uint64(b)),
		lastPos: binary.BigEndian.Uint64(b[8:]),
	}
	s.deleted = b[16]&1 != 0
	s.tombstoned = b[16]&2 != 0
	s.meta.maxCount = int64(binary.BigEndian.Uint64(b[17:]))
	s.meta.maxAge = time.Duration(binary.BigEndian.Uint64(b[25:]))
	s.meta.tb = int64(binary.BigEndian.Uint64(b[33:]))
	return s, nil
}

// store is the durable log plus the in-memory view of what is committed.
type store struct {
	dir string
	fs  vfs.FS
	log *slog.Logger

	// dbMu guards db against a re-open (reopen.go): reads hold it shared
	// for one bounded step; db is nil while the storage cannot be opened.
	// The writer, which does the re-opens, uses db without it.
	dbMu sync.RWMutex
	db   *pebble.DB

	mu      sync.RWMutex
	streams map[string]*streamState

	head atomic.Uint64 // position of the last committed event; 0 when empty
	sig  signal
}

// openStore opens (or creates) the Pebble database in dir and loads the
// committed stream states. Pebble replays its checksummed write-ahead log;
// a torn tail ends the replay, so only whole, synced batches survive, and
// the state records travel in the same batches as the events they describe.
func openStore(dir string, fs vfs.FS, log *slog.Logger) (*store, error) {
	s := &store{dir: dir, fs: fs, log: log}
	s.sig.ch = make(chan struct{})
	db, err := s.openDB()
	if err != nil {
		return nil, err
	}
	streams, head, err := load(db)
	if err == nil {
		err = checkMark(fs, dir, head)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	s.db, s.streams = db, streams
	s.head.Store(head)
	return s, nil
}

func (s *store) openDB() (*pebble.DB, error) {
	db, err := pebble.Open(s.dir, &pebble.Options{
		FS:           s.fs,
		Logger:       pebbleLogger{s.log},
		MemTableSize: 64 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("open pebble in %s: %w", s.dir, err)
	}
	return db, nil
}

// load reads the committed stream states and the head from db.
func load(db *pebble.DB) (map[string]*streamState, uint64, error) {
	streams := map[string]*streamState{}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{kindStream}, UpperBound: []byte{kindStream + 1}})
	if err != nil {
		return nil, 0, err
	}
	for it.First(); it.Valid(); it.Next() {
		st, err := decodeState(it.Value())
		if err != nil {
			it.Close()
			return nil, 0, err
		}
		streams[string(it.Key()[1:])] = st
	}
	if err := it.Close(); err != nil {
		return nil, 0, err
	}
	it, err = db.NewIter(&pebble.IterOptions{LowerBound: []byte{kindAll}, UpperBound: []byte{kindAll + 1}})
	if err != nil {
		return nil, 0, err
	}
	var head uint64
	if it.Last() {
		head = binary.BigEndian.Uint64(it.Key()[1:])
	}
	if err := it.Close(); err != nil {
		return nil, 0, err
	}
	// The newest event of every stream must be at or below the head; if not,
	// the log and the state disagree, which Pebble's atomic batches exclude.
	for name, st := range streams {
		if st.lastPos > head {
			return nil, 0, fmt.Errorf("eventstore: stream %q ends at position %d beyond the log head %d", name, st.lastPos, head)
		}
	}
	return streams, head, nil
}

func (s *store) close() error {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if s.db == nil {
		return nil
	}
	err := closeDB(s.db)
	s.db = nil
	return err
}

// errStorageDown answers reads while the storage is being re-opened.
var errStorageDown = status.Error(codes.Unavailable, "the event store is re-opening its storage; try again")

// reader returns the database for one read step and the function that ends
// the step.
func (s *store) reader() (*pebble.DB, func(), error) {
	s.dbMu.RLock()
	if s.db == nil {
		s.dbMu.RUnlock()
		return nil, nil, errStorageDown
	}
	return s.db, s.dbMu.RUnlock, nil
}

// state returns the committed state of stream, or nil.
func (s *store) state(stream string) *streamState {
	s.mu.RLock()
	st := s.streams[stream]
	s.mu.RUnlock()
	return st
}

// get returns a copy of the record at pos.
func (s *store) get(pos uint64) ([]byte, error) {
	db, done, err := s.reader()
	if err != nil {
		return nil, err
	}
	defer done()
	var k [9]byte
	v, c, err := db.Get(appendAllKey(k[:0], pos))
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), v...)
	c.Close()
	return out, nil
}

// positionOf returns the position of revision rev of stream.
func (s *store) positionOf(stream string, rev uint64) (uint64, bool, error) {
	db, done, err := s.reader()
	if err != nil {
		return 0, false, err
	}
	defer done()
	var buf [64]byte
	v, c, err := db.Get(appendIndexKey(buf[:0], stream, rev))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer c.Close()
	if len(v) != 8 {
		return 0, false, errBadRecord
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// signal wakes every waiter once per commit: waiters take the channel, check
// the head, and sleep on the channel, which the writer closes and replaces.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (g *signal) wait() <-chan struct{} {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	return ch
}

func (g *signal) fire() {
	g.mu.Lock()
	close(g.ch)
	g.ch = make(chan struct{})
	g.mu.Unlock()
}

// pebbleLogger sends Pebble's messages to the store's logger.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.Contains(msg, "WAL") {
		// recovery: where the replay of each log stopped and what it kept
		l.log.Info("pebble: " + msg)
		return
	}
	l.log.Debug("pebble: " + msg)
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf panics, as Pebble requires, with a pebbleFatal: the writer
// recovers it from a commit, where Pebble reports a log it can no longer
// write, and treats it as a failed write.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error("pebble fatal: " + msg)
	panic(pebbleFatal(msg))
}

// pebbleFatal is the panic of pebbleLogger.Fatalf.
type pebbleFatal string

func (p pebbleFatal) Error() string { return "pebble: " + string(p) }

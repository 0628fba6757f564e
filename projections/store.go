// Package projections is the read side's subscription runtime: it runs
// subscribers on the event store's $all stream with a durable checkpoint
// (the read models in its subfolders, and other subscribers such as the
// notice service), rebuilds projections into fresh copies, and parks the
// events a subscriber cannot handle. It declares the ports it needs (a
// Source of events; Documents, Checkpoints, Copies and Parking of the read
// store) and imports no adapter: esdb implements Source, bolt and mongodb
// the store.
package projections

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrInvalidPosition is returned by ParsePosition for a malformed position.
var ErrInvalidPosition = errors.New("projections: invalid position")

// ErrCannotWrite is wrapped by a read store's errors (and its health) while
// its storage refuses writes (a full disk, an I/O error): the subscribers
// commit nothing, so their checkpoints stay where they were, and they go on
// by themselves once writes succeed again.
var ErrCannotWrite = errors.New("projections: the read store cannot write")

// Position is a place in $all. Positions order events totally.
type Position struct {
	Commit  uint64
	Prepare uint64
}

// Less reports whether p comes before q in $all.
func (p Position) Less(q Position) bool {
	if p.Commit != q.Commit {
		return p.Commit < q.Commit
	}
	return p.Prepare < q.Prepare
}

// IsZero reports whether p is the zero position (before every event).
func (p Position) IsZero() bool { return p == Position{} }

// Key is p as 32 hexadecimal digits, so that byte order is position order
// (stores that compare strings can guard writes with it).
func (p Position) Key() string { return fmt.Sprintf("%016x%016x", p.Commit, p.Prepare) }

// ParsePositionKey reverses Key. It returns ErrInvalidPosition for anything else.
func ParsePositionKey(s string) (Position, error) {
	if len(s) != 32 {
		return Position{}, fmt.Errorf("%w: %q", ErrInvalidPosition, s)
	}
	c, err1 := strconv.ParseUint(s[:16], 16, 64)
	p, err2 := strconv.ParseUint(s[16:], 16, 64)
	if err1 != nil || err2 != nil {
		return Position{}, fmt.Errorf("%w: %q", ErrInvalidPosition, s)
	}
	return Position{Commit: c, Prepare: p}, nil
}

// Doc is one read-model document as stored: its id, the position of the
// last event folded into it (which guards every write), the values it is
// indexed by, and its JSON body.
type Doc struct {
	ID       string
	Position Position
	Keys     map[string]string // index name -> value, e.g. "phone" -> "01012345678"
	Body     []byte            // a JSON object
}

// Write puts one document into a collection of a namespace.
type Write struct {
	Coll string
	Doc  Doc
	// Force skips the position guard: the write happens even when the stored
	// document is at the same or a later position. Folds never set it; replays
	// of parked events and bookkeeping writes (delivery attempts) do.
	Force bool
}

// Checkpoint is how far a subscriber's copy has processed $all.
type Checkpoint struct {
	Position  Position  // every event up to here has been written
	EventTime time.Time // when the last processed event was appended
	Events    uint64    // events processed by this copy
	UpdatedAt time.Time
	// Fence is the lease token of the holder committing it (Leases); zero
	// for a process that holds no lease (a rebuild, a replay), whose
	// commits are not fenced.
	Fence uint64
}

// Parked is an event a subscriber failed to handle after its attempts.
type Parked struct {
	Subscriber string
	Event      Event
	Error      string
	Attempts   int
	ParkedAt   time.Time
}

// The read store's ports, split by use. One store type (bolt, mongodb)
// implements all four; the runtime's Runner, Manager and Rebuilder take
// Store, and other packages name only the part they use (queries reads
// through DocumentReader, Checkpoints and Copies.Generations; the notice
// documents use Documents).

// Documents are read-model documents in collections grouped by namespace
// (one namespace per copy of a subscriber's data).
type Documents interface {
	DocumentReader
	// EnsureIndexes prepares lookups by the given keys.
	EnsureIndexes(ctx context.Context, ns, coll string, keys []string) error
	// Commit writes the documents, each only if the stored one is at an
	// earlier position (unless Force), then the namespace's checkpoint when
	// cp is not nil. It must never leave the checkpoint ahead of the
	// documents: a store with transactions commits both at once, any other
	// writes the documents first (each guarded by position) and the
	// checkpoint after them. A checkpoint with a Fence below the
	// namespace's (Leases.Fence) is refused with ErrFenced: a store with
	// transactions then writes nothing; any other refuses before the
	// documents and makes the checkpoint write conditional on the fence.
	Commit(ctx context.Context, ns string, writes []Write, cp *Checkpoint) error
}

// DocumentReader is the reading half of Documents, all that queries need.
type DocumentReader interface {
	// Get returns a document; ok is false when there is none.
	Get(ctx context.Context, ns, coll, id string) (doc Doc, ok bool, err error)
	// Find returns the documents whose Keys[key] equals value, by id, at most
	// limit of them (0 means all).
	Find(ctx context.Context, ns, coll, key, value string, limit int) ([]Doc, error)
}

// Checkpoints say how far each namespace has processed $all. They are
// written only with documents, by Documents.Commit.
type Checkpoints interface {
	// Checkpoint returns the namespace's checkpoint; ok is false when none.
	Checkpoint(ctx context.Context, ns string) (cp Checkpoint, ok bool, err error)
}

// Copies are the numbered copies of rebuildable projections
// (Namespace(name, n)) and the pointers saying which one is live.
type Copies interface {
	// Generations returns a projection's pointers (zero value when none).
	Generations(ctx context.Context, name string) (Generations, error)
	// SwapGenerations stores next if the stored pointers still have
	// old.Version; it reports whether it did. next.Version is ignored.
	SwapGenerations(ctx context.Context, name string, old, next Generations) (bool, error)
	// Drop removes a namespace's documents and checkpoint.
	Drop(ctx context.Context, ns string) error
	// Namespaces lists the namespaces that hold a checkpoint or documents.
	Namespaces(ctx context.Context) ([]string, error)
}

// Parking keeps the events subscribers gave up on.
type Parking interface {
	// Park records an event a subscriber gave up on.
	Park(ctx context.Context, p Parked) error
	// ParkedEvents lists a subscriber's parked events in position order
	// (every subscriber's when subscriber is "").
	ParkedEvents(ctx context.Context, subscriber string) ([]Parked, error)
	// Unpark removes a parked event.
	Unpark(ctx context.Context, subscriber, eventID string) error
}

// Store is the whole read store, as the runtime uses it.
type Store interface {
	Documents
	Checkpoints
	Copies
	Parking
}

// BulkLoader is implemented by stores that can fill a fresh copy faster
// when each batch need not be durable on its own (bbolt: no sync per
// commit). Rebuild turns it on for the copy it builds and off (which makes
// everything written durable) before it switches to the copy or gives up.
type BulkLoader interface {
	BulkLoad(ns string, on bool) error
}

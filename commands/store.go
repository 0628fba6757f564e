package commands

import (
	"context"
	"errors"

	"github.com/google/uuid"
)

// Store is the event store as the command side needs it. The esdb package
// implements it over the official EventStoreDB client.
type Store interface {
	// Read returns the events of stream from revision from (inclusive)
	// onwards, oldest first. A stream that does not exist has no events:
	// nil, nil.
	Read(ctx context.Context, stream string, from uint64) ([]Recorded, error)
	// Append appends events to stream if its last revision is expected
	// (NoStream: the stream must not exist). Errors: ErrConcurrency when the
	// stream is elsewhere; ErrUnavailable (wrapped) when the store cannot be
	// reached or is overloaded.
	Append(ctx context.Context, stream string, expected int64, events []Proposed) (Written, error)
}

// NoStream is the expected revision of a stream that must not exist yet.
const NoStream int64 = -1

// Recorded is a stored event.
type Recorded struct {
	ID       uuid.UUID
	Type     string
	Data     []byte
	Revision uint64 // in its stream, from 0
	Position uint64 // commit position in $all
	Metadata []byte // JSON, as the command that appended it wrote it
}

// Proposed is an event to append.
type Proposed struct {
	ID       uuid.UUID // deterministic per command and step, so a retry re-appends the same IDs
	Type     string
	Data     []byte // JSON
	Metadata []byte // JSON
}

// Written is where an append landed.
type Written struct {
	Revision uint64 // the stream's last revision after the append
	Position uint64 // commit position in $all of the append
}

// Errors of the store and of the load-decide-append path. Domain errors
// (schedule.ErrSlotTaken, reservation.ErrCancelled, ...) come through
// unchanged, wrapped with context.
var (
	// ErrConcurrency: the stream moved between read and append. Commands
	// retry it; it escapes only after MaxRetries attempts.
	ErrConcurrency = errors.New("commands: concurrent update, try again")
	// ErrStale: the caller's expected revision (If-Match) is not the
	// stream's current revision. Not retried (HTTP 412).
	ErrStale = errors.New("commands: the resource has changed since it was read")
	// ErrIdempotencyKeyReused: the caller sent an Idempotency-Key it had
	// used before on the same route with another request (HTTP 422, the
	// IETF Idempotency-Key draft's rule); nothing is written.
	ErrIdempotencyKeyReused = errors.New("commands: this Idempotency-Key was used before with another request")
	// ErrUnavailable: the event store is down or saturated (the circuit
	// breaker is open or too many calls are in flight). HTTP 503 with
	// Retry-After; the caller should try again shortly.
	ErrUnavailable = errors.New("commands: the event store is unavailable, try again shortly")
	// ErrCannotWrite: the event store is up but its storage failed a write
	// or a sync (a full disk, an I/O error), so it refuses appends until the
	// storage works again. It always comes wrapped together with
	// ErrUnavailable (so callers that retry on that still do); HTTP 503,
	// with a message that says the storage failed, not that it is busy.
	ErrCannotWrite = errors.New("commands: the event store cannot write")
)

// StorageFailure is ErrCannotWrite with the event store's own words for
// why it cannot write ("disk full (writing the log failed)"), which are
// fit to show a caller. It matches both ErrCannotWrite and ErrUnavailable.
type StorageFailure struct{ Reason string }

func (e *StorageFailure) Error() string { return ErrCannotWrite.Error() + ": " + e.Reason }

// Unwrap makes errors.Is match ErrCannotWrite and ErrUnavailable.
func (e *StorageFailure) Unwrap() []error { return []error{ErrCannotWrite, ErrUnavailable} }

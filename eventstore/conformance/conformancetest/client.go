// Package conformancetest holds the cases of the conformance suite that run
// through every official Go client: the EventStoreDB v4 client (driven from
// package conformance) and the KurrentDB client v1 (driven from package
// conformance/kurrentdb). The two clients cannot share one program (their
// generated protobuf packages register the same names), so each driver is
// its own test binary, adapts its client to Client and calls Run.
package conformancetest

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Errors the adapters map their client's errors to, so a case can tell
// them apart with errors.Is whatever the client.
var (
	ErrWrongVersion  = errors.New("conformancetest: wrong expected version")
	ErrStreamDeleted = errors.New("conformancetest: stream deleted")
	ErrNotFound      = errors.New("conformancetest: stream not found")
)

// Client is what the cases need of an official client.
type Client interface {
	// ServerVersion is the version the server reported to the client.
	ServerVersion() (major, minor, patch int, err error)
	// LiveDetail reports whether the client passes on what caught_up and
	// fell_behind carry (time, revision, position). The v4 client only
	// reports that they came.
	LiveDetail() bool

	Append(ctx context.Context, stream string, exp Expect, evs ...Event) (Write, error)
	ReadStream(ctx context.Context, stream string, r Read) ([]Recorded, error)
	ReadAll(ctx context.Context, r Read) ([]Recorded, error)
	SubscribeStream(ctx context.Context, stream string, from From) (Subscription, error)
	SubscribeAll(ctx context.Context, from From, f *Filter) (Subscription, error)
	Delete(ctx context.Context, stream string, exp Expect) error
	Tombstone(ctx context.Context, stream string, exp Expect) error
	SetMetadata(ctx context.Context, stream string, m Metadata) error
	GetMetadata(ctx context.Context, stream string) (Metadata, error)
}

// Subscription is a catch-up subscription.
type Subscription interface {
	// Recv returns the next message; after a Dropped one, it returns
	// Dropped again.
	Recv() Message
	Close() error
}

// Expect is an expected revision: ExpectAny, ExpectNoStream,
// ExpectExists or ExpectRevision(n).
type Expect struct {
	Kind     ExpectKind
	Revision uint64
}

// ExpectKind is the case of an Expect.
type ExpectKind int

// The cases of an expected revision.
const (
	KindAny ExpectKind = iota
	KindNoStream
	KindExists
	KindRevision
)

// The expected revisions without a number.
var (
	ExpectAny      = Expect{Kind: KindAny}
	ExpectNoStream = Expect{Kind: KindNoStream}
	ExpectExists   = Expect{Kind: KindExists}
)

// ExpectRevision expects the stream's last revision to be rev.
func ExpectRevision(rev uint64) Expect { return Expect{Kind: KindRevision, Revision: rev} }

// Event is an event to append.
type Event struct {
	ID       uuid.UUID
	Type     string
	JSON     bool // content type application/json, else octet-stream
	Data     []byte
	Metadata []byte
}

// Write is the result of an append.
type Write struct {
	Next     uint64 // the stream's revision after the append
	Position uint64 // commit position of the append
}

// Recorded is a stored event as the client decodes it.
type Recorded struct {
	ID          uuid.UUID
	Stream      string
	Revision    uint64
	Position    uint64 // commit position
	Type        string
	ContentType string
	Data        []byte
	Metadata    []byte
	Created     time.Time
}

// From is where a read or subscription starts: FromStart, FromEnd, or At
// a revision (streams) or commit position ($all).
type From struct {
	Start, End bool
	At         uint64
}

// The starts without a number.
var (
	FromStart = From{Start: true}
	FromEnd   = From{End: true}
)

// FromAt starts at revision or position at.
func FromAt(at uint64) From { return From{At: at} }

// Read is a plain read.
type Read struct {
	From  From
	Back  bool
	Count uint64
}

// Filter is a server-side filter of a $all subscription.
type Filter struct {
	OnType   bool // event types; else stream names
	Prefixes []string
	Regex    string
	// Window is the max search window (0: the client's default) and
	// Interval the checkpoint interval multiplier.
	Window, Interval int
}

// Metadata is the part of stream metadata the cases set.
type Metadata struct {
	MaxCount       *uint64
	TruncateBefore *uint64
}

// Message is one thing a subscription delivers; exactly one field is set.
type Message struct {
	Event      *Recorded
	Checkpoint *uint64 // commit position
	CaughtUp   *Live
	FellBehind *Live
	Dropped    error
}

// Live is what caught_up and fell_behind say, when the client passes it on
// (Client.LiveDetail): the server's time and the checkpoint to resume from.
type Live struct {
	At       time.Time
	Revision *uint64 // stream subscriptions
	Position *uint64 // $all subscriptions, commit position
}

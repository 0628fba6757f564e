package projections

import (
	"context"
	"errors"
	"time"
)

// Errors of the lease port and of fenced commits.
var (
	// ErrLeaseHeld is returned by Leases.Acquire while another holder's
	// lease has not expired.
	ErrLeaseHeld = errors.New("projections: the lease is held by another replica")
	// ErrLeaseLost is returned by Leases.Renew and Release when the lease
	// has passed to another holder (or was never this one's).
	ErrLeaseLost = errors.New("projections: the lease was lost")
	// ErrFenced is wrapped by Documents.Commit when the checkpoint carries
	// a fence older than the namespace's: a newer holder has started on it,
	// so this commit would undo or repeat its work.
	ErrFenced = errors.New("projections: a newer lease holder has fenced this namespace")
)

// Lease is one holding of a named lease: who holds it, until when (on the
// store's clock), and its fence token, which grows at every acquisition, so
// of two holders the later one always has the greater token.
type Lease struct {
	Name    string
	Holder  string
	Token   uint64
	Expires time.Time
}

// Leases are named, expiring leases in the read store, which replicas of a
// subscriber take so that exactly one of them applies it at a time, and the
// fences that keep a holder that lost its lease from committing after its
// successor started.
type Leases interface {
	// Acquire takes lease name for holder for ttl, with a new token, when
	// it is free, released or expired (or already holder's). It returns
	// ErrLeaseHeld while another holder's lease runs.
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error)
	// Renew extends l for ttl from now. It returns ErrLeaseLost when the
	// stored lease is no longer l's holder and token.
	Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// Release frees l at once, so a standby need not wait for it to
	// expire. It returns ErrLeaseLost when l was no longer held.
	Release(ctx context.Context, l Lease) error
	// Fence raises namespace ns's fence to token (it never lowers it).
	// From then on Documents.Commit refuses, with ErrFenced, every commit
	// to ns whose checkpoint carries a non-zero Fence below it.
	Fence(ctx context.Context, ns string, token uint64) error
}

// LeaseStore is a read store that also keeps leases, as the replicated
// runtime needs it.
type LeaseStore interface {
	Store
	Leases
}

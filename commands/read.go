package commands

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/invoice"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// view is an aggregate as the store held it when it was read: what every
// "inspect" step (a check before a command's first write, a repair looking
// for what a crash left undone) looks at.
type view[A aggregate] struct {
	agg  A
	hist *history
}

// revision is the stream's last revision, NoStream if it does not exist.
func (v view[A]) revision() int64 { return v.hist.revision }

// result is the Result of a command whose target was only read: the
// stream's revision and the furthest position the command saw.
func (v view[A]) result(c *command) Result {
	c.saw(v.hist.position)
	return Result{Revision: uint64(max(v.hist.revision, 0)), Position: c.position.Load()}
}

// read is the one read path for aggregates. It starts from the process's
// cached history of stream when there is one and reads only what the store
// holds beyond it, so the view is current as of the read whoever wrote the
// stream. It takes no stream lock: a read decides nothing, and whatever a
// view leads to is written through update, which decides again under the
// lock. It advances a cached history but never adds a stream to the cache,
// so a sweep over months of days does not evict the hot streams.
func read[A aggregate](ctx context.Context, h *Handler, stream string, newAgg func() A, decode decoder) (view[A], error) {
	cached := h.cache.get(stream)
	hist := cached
	if hist == nil {
		hist = &history{revision: NoStream}
	}
	recs, err := h.store.Read(ctx, stream, uint64(hist.revision+1))
	if err != nil {
		return view[A]{agg: newAgg(), hist: hist}, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) > 0 {
		events, err := decodeAll(stream, decode, recs)
		if err != nil {
			return view[A]{agg: newAgg(), hist: hist}, err
		}
		// Without the lock, another goroutine may be extending the same
		// history in place: extend a copy.
		hist = hist.detached().extendRecorded(events, recs)
		if cached != nil {
			h.cache.advance(stream, hist)
		}
	}
	agg := newAgg()
	agg.Apply(hist.events...)
	return view[A]{agg: agg, hist: hist}, nil
}

// decoder turns a stored event into its domain struct.
type decoder func(eventType string, data []byte) (domain.Event, error)

// decodeAll decodes the records of stream.
func decodeAll(stream string, decode decoder, recs []Recorded) ([]domain.Event, error) {
	events := make([]domain.Event, len(recs))
	for i, r := range recs {
		var err error
		if events[i], err = decode(r.Type, r.Data); err != nil {
			return nil, fmt.Errorf("%s@%d: %w", stream, r.Revision, err)
		}
	}
	return events, nil
}

func (h *Handler) readReservation(ctx context.Context, id uuid.UUID) (view[*reservation.Reservation], error) {
	return read(ctx, h, reservation.Stream(id), func() *reservation.Reservation { return reservation.New(id) }, reservation.Decode)
}

func (h *Handler) readRecord(ctx context.Context, id uuid.UUID) (view[*medicalrecord.Record], error) {
	return read(ctx, h, medicalrecord.Stream(id), func() *medicalrecord.Record { return medicalrecord.New(id) }, medicalrecord.Decode)
}

func (h *Handler) readInvoice(ctx context.Context, id uuid.UUID) (view[*invoice.Invoice], error) {
	return read(ctx, h, invoice.Stream(id), func() *invoice.Invoice { return invoice.New(id) }, invoice.Decode)
}

func (h *Handler) readSchedule(ctx context.Context, doctorID, date string) (view[*schedule.Schedule], error) {
	return read(ctx, h, schedule.Stream(doctorID, date), func() *schedule.Schedule { return schedule.New(doctorID, date) }, schedule.Decode)
}

// checkIfMatch returns ErrStale unless stream, at revision, is at ifMatch
// (when the caller gave one).
func checkIfMatch(stream string, revision int64, ifMatch *uint64) error {
	if ifMatch != nil && (revision < 0 || uint64(revision) != *ifMatch) {
		return fmt.Errorf("%s is at revision %d, not %d: %w", stream, revision, *ifMatch, ErrStale)
	}
	return nil
}

// detached returns h with slices that have no spare capacity, so that
// extending it never writes into a backing array another history shares.
func (h *history) detached() *history {
	n := *h
	n.events, n.ids = slices.Clip(n.events), slices.Clip(n.ids)
	n.revisions, n.positions = slices.Clip(n.revisions), slices.Clip(n.positions)
	n.requests = slices.Clip(n.requests)
	return &n
}

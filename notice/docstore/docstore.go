// Package docstore keeps the notice service's messages and visits in the
// read store (projections.Documents: bbolt embedded, MongoDB in production), in
// a namespace of their own that no projection rebuild touches.
package docstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/projections"
)

// Namespace holds the notice service's documents (and its subscriber's
// checkpoint). Renaming it forgets what was sent, so it never changes.
const Namespace = "notice"

// Collections and index keys.
const (
	collMessages = "messages"
	collVisits   = "visits"

	keyAll         = "all" // every message carries all=all, so List without a filter can use an index
	keyReservation = "reservation"
	keyStatus      = "status"
	keyDay         = "day" // a visit's UTC date
)

// Store is a notice.Store and notice.VisitStore on a read store.
type Store struct {
	rs projections.Documents
}

var (
	_ notice.Store      = (*Store)(nil)
	_ notice.VisitStore = (*Store)(nil)
	_ notice.BatchSaver = (*Store)(nil)
)

// New returns the notice store on rs.
func New(rs projections.Documents) *Store { return &Store{rs: rs} }

// EnsureIndexes prepares the lookups the notice service makes.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := s.rs.EnsureIndexes(ctx, Namespace, collMessages, []string{keyAll, keyReservation, keyStatus}); err != nil {
		return fmt.Errorf("notice indexes: %w", err)
	}
	if err := s.rs.EnsureIndexes(ctx, Namespace, collVisits, []string{keyDay}); err != nil {
		return fmt.Errorf("notice indexes: %w", err)
	}
	return nil
}

// Add records m unless its ID is recorded. The write is also guarded by the
// message's position, so two racing adds of one message write it once.
func (s *Store) Add(ctx context.Context, m notice.Message) (bool, error) {
	_, ok, err := s.rs.Get(ctx, Namespace, collMessages, m.ID)
	if err != nil {
		return false, fmt.Errorf("message %s: %w", m.ID, err)
	}
	if ok {
		return false, nil
	}
	if err := s.write(ctx, m, false); err != nil {
		return false, err
	}
	return true, nil
}

// Get returns the message with id, or notice.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (notice.Message, error) {
	d, ok, err := s.rs.Get(ctx, Namespace, collMessages, id)
	if err != nil {
		return notice.Message{}, fmt.Errorf("message %s: %w", id, err)
	}
	if !ok {
		return notice.Message{}, fmt.Errorf("message %s: %w", id, notice.ErrNotFound)
	}
	return decodeMessage(d)
}

// Save replaces the message with m.ID, or returns notice.ErrNotFound.
func (s *Store) Save(ctx context.Context, m notice.Message) error {
	_, ok, err := s.rs.Get(ctx, Namespace, collMessages, m.ID)
	if err != nil {
		return fmt.Errorf("message %s: %w", m.ID, err)
	}
	if !ok {
		return fmt.Errorf("message %s: %w", m.ID, notice.ErrNotFound)
	}
	return s.write(ctx, m, true)
}

// SaveAll replaces the messages in one commit (one transaction on bbolt),
// without checking that they exist: the dispatcher saves only messages it
// loaded.
func (s *Store) SaveAll(ctx context.Context, ms []notice.Message) error {
	writes := make([]projections.Write, 0, len(ms))
	for _, m := range ms {
		doc, err := messageDoc(m)
		if err != nil {
			return err
		}
		writes = append(writes, projections.Write{Coll: collMessages, Doc: doc, Force: true})
	}
	if err := s.rs.Commit(ctx, Namespace, writes, nil); err != nil {
		return fmt.Errorf("save %d messages: %w", len(ms), err)
	}
	return nil
}

func (s *Store) write(ctx context.Context, m notice.Message, force bool) error {
	doc, err := messageDoc(m)
	if err != nil {
		return err
	}
	w := projections.Write{Coll: collMessages, Doc: doc, Force: force}
	if err := s.rs.Commit(ctx, Namespace, []projections.Write{w}, nil); err != nil {
		return fmt.Errorf("message %s: %w", m.ID, err)
	}
	return nil
}

// Due returns up to limit pending messages due at now, longest waiting first.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]notice.Message, error) {
	pending, err := s.find(ctx, keyStatus, string(notice.StatusPending))
	if err != nil {
		return nil, err
	}
	due := slices.DeleteFunc(pending, func(m notice.Message) bool {
		return m.Status != notice.StatusPending || m.NextAttemptAt.After(now)
	})
	slices.SortFunc(due, func(a, b notice.Message) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	return due, nil
}

// List returns the messages matching f, newest first.
func (s *Store) List(ctx context.Context, f notice.Filter) ([]notice.Message, error) {
	key, value := keyAll, keyAll
	switch {
	case f.ReservationID != "":
		key, value = keyReservation, f.ReservationID
	case f.Status != "":
		key, value = keyStatus, string(f.Status)
	}
	ms, err := s.find(ctx, key, value)
	if err != nil {
		return nil, err
	}
	ms = slices.DeleteFunc(ms, func(m notice.Message) bool { return !f.Match(m) })
	notice.SortNewestFirst(ms)
	if f.Limit > 0 && len(ms) > f.Limit {
		ms = ms[:f.Limit]
	}
	return ms, nil
}

func (s *Store) find(ctx context.Context, key, value string) ([]notice.Message, error) {
	docs, err := s.rs.Find(ctx, Namespace, collMessages, key, value, 0)
	if err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	out := make([]notice.Message, 0, len(docs))
	for _, d := range docs {
		m, err := decodeMessage(d)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// PutVisit records v unless a visit as of a later position is recorded.
func (s *Store) PutVisit(ctx context.Context, v notice.Visit) error {
	doc, err := visitDoc(v)
	if err != nil {
		return err
	}
	if err := s.rs.Commit(ctx, Namespace, []projections.Write{{Coll: collVisits, Doc: doc}}, nil); err != nil {
		return fmt.Errorf("visit %s: %w", v.ReservationID, err)
	}
	return nil
}

// BookedVisits returns the booked visits with a slot in [from, to).
func (s *Store) BookedVisits(ctx context.Context, from, to time.Time) ([]notice.Visit, error) {
	var out []notice.Visit
	for day := from.UTC().Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
		docs, err := s.rs.Find(ctx, Namespace, collVisits, keyDay, day.Format(time.DateOnly), 0)
		if err != nil {
			return nil, fmt.Errorf("find visits: %w", err)
		}
		for _, d := range docs {
			var r visitRecord
			if err := json.Unmarshal(d.Body, &r); err != nil {
				return nil, fmt.Errorf("visit %s: %w", d.ID, err)
			}
			v := r.visit(d.Position)
			if v.Status == string(reservation.StatusBooked) && !v.Slot.Before(from) && v.Slot.Before(to) {
				out = append(out, v)
			}
		}
	}
	slices.SortFunc(out, func(a, b notice.Visit) int {
		return cmp.Or(a.Slot.Compare(b.Slot), cmp.Compare(a.ReservationID, b.ReservationID))
	})
	return out, nil
}

package notice

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vetclinic/clinic/domain/reservation"
)

// MemoryStore keeps messages and visits in memory, for tests. It is test
// code of package notice rather than a noticetest package: this package's
// own tests are internal (they reach unexported state), and they could not
// import a package that imports notice. The contract suite in
// notice/storetest runs against it (memstore_contract_test.go).
type MemoryStore struct {
	mu       sync.Mutex
	messages map[string]Message
	visits   map[string]Visit
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{messages: map[string]Message{}, visits: map[string]Visit{}}
}

// Add records m unless its ID is recorded.
func (s *MemoryStore) Add(_ context.Context, m Message) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.messages[m.ID]; ok {
		return false, nil
	}
	s.messages[m.ID] = clone(m)
	return true, nil
}

// Get returns the message with id, or ErrNotFound.
func (s *MemoryStore) Get(_ context.Context, id string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok {
		return Message{}, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	return clone(m), nil
}

// Save replaces the message with m.ID, or returns ErrNotFound.
func (s *MemoryStore) Save(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.messages[m.ID]; !ok {
		return fmt.Errorf("message %s: %w", m.ID, ErrNotFound)
	}
	s.messages[m.ID] = clone(m)
	return nil
}

// Due returns up to limit pending messages due at now, longest waiting first.
func (s *MemoryStore) Due(_ context.Context, now time.Time, limit int) ([]Message, error) {
	s.mu.Lock()
	var due []Message
	for _, m := range s.messages {
		if m.Status == StatusPending && !m.NextAttemptAt.After(now) {
			due = append(due, m)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(due, func(a, b Message) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	for i := range due {
		due[i] = clone(due[i])
	}
	return due, nil
}

// List returns the messages matching f, newest first.
func (s *MemoryStore) List(_ context.Context, f Filter) ([]Message, error) {
	s.mu.Lock()
	var out []Message
	for _, m := range s.messages {
		if f.Match(m) {
			out = append(out, clone(m))
		}
	}
	s.mu.Unlock()
	SortNewestFirst(out)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// PutVisit records v unless a later state is recorded.
func (s *MemoryStore) PutVisit(_ context.Context, v Visit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.visits[v.ReservationID]; ok && !old.Position.Less(v.Position) {
		return nil
	}
	s.visits[v.ReservationID] = v
	return nil
}

// BookedVisits returns the booked visits with a slot in [from, to).
func (s *MemoryStore) BookedVisits(_ context.Context, from, to time.Time) ([]Visit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Visit
	for _, v := range s.visits {
		if v.Status == string(reservation.StatusBooked) && !v.Slot.Before(from) && v.Slot.Before(to) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b Visit) int {
		return cmp.Or(a.Slot.Compare(b.Slot), cmp.Compare(a.ReservationID, b.ReservationID))
	})
	return out, nil
}

func clone(m Message) Message {
	m.Attempts = slices.Clone(m.Attempts)
	return m
}

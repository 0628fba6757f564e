package queries

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// LiveReadModels are the read models whose commits the staff's live stream
// reports: the day sheet (visits), the medical record and the invoice
// screens.
func LiveReadModels() []string { return []string{visits.Name, records.Name, invoices.Name} }

// commitPoll is how often NextCommit looks at the checkpoints when no commit
// signal wakes it: another process's commits (a query role apart from the
// projector) only show that way. A commit in this process wakes it at once.
const commitPoll = 500 * time.Millisecond

// NextCommit waits until one of LiveReadModels has committed beyond seen
// (read model name to position; a missing name counts as nothing seen) and
// returns the position each is built up to. It returns ctx's error when
// ctx ends first, or the read store's error.
func (s *Service) NextCommit(ctx context.Context, seen map[string]uint64) (map[string]uint64, error) {
	names := LiveReadModels()
	for {
		// Ask for the signals before reading, so a commit between the read
		// and the wait still wakes it.
		cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}}
		if s.changed != nil {
			for _, n := range names {
				if ch := s.changed(n); ch != nil {
					cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
				}
			}
		}
		now, err := s.positions(ctx, names)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if p, ok := seen[n]; !ok || now[n] > p {
				return now, nil
			}
		}
		t := time.NewTimer(commitPoll)
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(t.C)})
		chosen, _, _ := reflect.Select(cases)
		t.Stop()
		if chosen == 0 {
			return nil, ctx.Err()
		}
	}
}

// positions reads the checkpoint of each read model's live copy.
func (s *Service) positions(ctx context.Context, names []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(names))
	for _, n := range names {
		ns, err := s.namespace(ctx, n)
		if err != nil {
			return nil, err
		}
		cp, _, err := s.store.Checkpoint(ctx, ns)
		if err != nil {
			return nil, fmt.Errorf("checkpoint of %s: %w", ns, err)
		}
		out[n] = cp.Position.Commit
	}
	return out, nil
}

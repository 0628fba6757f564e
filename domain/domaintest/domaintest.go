// Package domaintest runs the given/when/then tables of the aggregate
// tests and checks that events survive storage. Only tests import it, so it
// may use the testing package and go-cmp, which domain code may not.
package domaintest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/domain"
)

// Aggregate is what a table runs commands on: it folds past events in.
type Aggregate interface {
	Apply(events ...domain.Event)
}

// Case is one row of an aggregate's table: given past events, when a
// command, then the new events it decides, or an error (errors.Is WantErr).
type Case[A Aggregate] struct {
	Name    string
	Given   []domain.Event
	When    func(A) ([]domain.Event, error)
	Then    []domain.Event
	WantErr error
}

// Run runs every case in parallel on a fresh aggregate from newAgg.
func Run[A Aggregate](t *testing.T, newAgg func() A, cases []Case[A]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			t.Parallel()
			agg := newAgg()
			agg.Apply(tt.Given...)
			got, err := tt.When(agg)
			if !errors.Is(err, tt.WantErr) {
				t.Fatalf("err = %v, want %v", err, tt.WantErr)
			}
			if diff := cmp.Diff(tt.Then, got); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// RoundTrip checks that every event, stored as JSON, decodes by its type
// name to an equal event.
func RoundTrip(t *testing.T, decode func(eventType string, data []byte) (domain.Event, error), events ...domain.Event) {
	t.Helper()
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decode(e.EventType(), data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", e.EventType(), err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", e.EventType(), diff)
		}
	}
}

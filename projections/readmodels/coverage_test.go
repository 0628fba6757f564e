package readmodels_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/events"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/availability"
	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/ledger"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/readmodels"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// coverage is, per read model, whether its fold takes an event in and the
// types it says it ignores.
type coverage struct {
	folds   func(domain.Event) bool
	ignored map[string]string
}

func coverages(loc *time.Location) map[string]coverage {
	return map[string]coverage{
		lookup.Name: {func(e domain.Event) bool { _, f := lookup.Fold(e, loc); return f != nil }, lookup.Ignored()},
		ledger.Name: {func(e domain.Event) bool {
			_, _, ok := ledger.EntryOf(projections.Event{}, e, loc)
			return ok
		}, ledger.Ignored()},
		availability.Name: {func(e domain.Event) bool { _, f := availability.Fold(e); return f != nil }, availability.Ignored()},
		visits.Name:       {func(e domain.Event) bool { _, f := visits.Fold(e, loc); return f != nil }, visits.Ignored()},
		records.Name:      {func(e domain.Event) bool { _, f := records.Fold(e, loc); return f != nil }, records.Ignored()},
		invoices.Name:     {func(e domain.Event) bool { _, f := invoices.Fold(e); return f != nil }, invoices.Ignored()},
	}
}

// TestEveryReadModelHandlesEveryEventType: each read model folds each
// stored event type or says why it ignores it, never both and never
// neither, so a new event type (a correction, say) fails here until every
// read model has decided about it; and a new read model fails until it is
// in the table.
func TestEveryReadModelHandlesEveryEventType(t *testing.T) {
	t.Parallel()
	cov := coverages(seoul)
	var names []string
	for _, p := range readmodels.All(seoul) {
		names = append(names, p.Subscriber.Name)
		if _, ok := cov[p.Subscriber.Name]; !ok {
			t.Errorf("read model %s has no coverage entry", p.Subscriber.Name)
		}
	}
	for name := range cov {
		if !slices.Contains(names, name) {
			t.Errorf("coverage entry %s is no read model", name)
		}
	}
	for name, c := range cov {
		for _, ty := range events.Types() {
			e, err := events.Decode(ty, []byte(`{}`))
			if err != nil {
				t.Fatalf("decode %s: %v", ty, err)
			}
			why, ignored := c.ignored[ty]
			switch folds := c.folds(e); {
			case folds && ignored:
				t.Errorf("%s folds %s and says it ignores it (%s)", name, ty, why)
			case !folds && !ignored:
				t.Errorf("%s neither folds %s nor says why it ignores it", name, ty)
			case ignored && why == "":
				t.Errorf("%s ignores %s without saying why", name, ty)
			}
		}
		for ty := range c.ignored {
			if !slices.Contains(events.Types(), ty) {
				t.Errorf("%s ignores %s, which is no event type", name, ty)
			}
		}
	}
}

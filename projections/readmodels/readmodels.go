// Package readmodels is the one list of the clinic's read models: the
// projector runs them, the admin routes and status range over them, and
// queries wait on their filters. Adding a read model means adding it here.
package readmodels

import (
	"time"

	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/availability"
	"github.com/vetclinic/clinic/projections/invoices"
	"github.com/vetclinic/clinic/projections/ledger"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/records"
	"github.com/vetclinic/clinic/projections/visits"
)

// All returns the read models, each rebuildable, in the order status lists
// them; loc is the clinic's zone (for the day an event falls on).
func All(loc *time.Location) []projections.Projection {
	return []projections.Projection{
		{Subscriber: lookup.Subscriber(loc), Rebuildable: true},
		{Subscriber: ledger.Subscriber(loc), Rebuildable: true},
		{Subscriber: availability.Subscriber(), Rebuildable: true},
		{Subscriber: visits.Subscriber(loc), Rebuildable: true},
		{Subscriber: records.Subscriber(loc), Rebuildable: true},
		{Subscriber: invoices.Subscriber(), Rebuildable: true},
	}
}

package lookup

import (
	"context"

	"github.com/vetclinic/clinic/projections"
)

// The reads the lookup's queries make, on copy ns. Who may see what, which
// copy is live and the order of a listing are the queries package's.

// Get returns reservation id; ok is false when there is none.
func Get(ctx context.Context, docs projections.DocumentReader, ns, id string) (Reservation, bool, error) {
	return projections.Get[Reservation](ctx, docs, ns, Coll, id)
}

// GetJSON returns reservation id as its stored JSON, undecoded, and the
// normalised phone number it was booked with; ok is false when there is
// none.
func GetJSON(ctx context.Context, docs projections.DocumentReader, ns, id string) (body []byte, phoneKey string, ok bool, err error) {
	d, ok, err := docs.Get(ctx, ns, Coll, id)
	if err != nil || !ok {
		return nil, "", ok, err
	}
	return d.Body, d.Keys[KeyPhone], true, nil
}

// ByPhone returns at most limit reservations booked with the normalised
// phone number key.
func ByPhone(ctx context.Context, docs projections.DocumentReader, ns, key string, limit int) ([]Reservation, error) {
	return projections.FindAll[Reservation](ctx, docs, ns, Coll, KeyPhone, key, limit)
}

// OfDoctorDay returns at most limit reservations of doctorID on day (the
// clinic's date).
func OfDoctorDay(ctx context.Context, docs projections.DocumentReader, ns, doctorID, day string, limit int) ([]Reservation, error) {
	return projections.FindAll[Reservation](ctx, docs, ns, Coll, KeyDoctorDay, DoctorDay(doctorID, day), limit)
}

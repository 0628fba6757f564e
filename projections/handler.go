package projections

import (
	"context"

	"github.com/vetclinic/clinic/domain"
)

// OnDomainEvent returns a Subscriber.Handle that decodes each event into
// its domain event (with what DecodeAhead made of it when it can) and
// gives both to h. An event of a type this build does not know is skipped;
// one that does not decode fails with the decoding error.
func OnDomainEvent(h func(tx *Tx, ev Event, d domain.Event) error) func(context.Context, *Tx, Event) error {
	return func(_ context.Context, tx *Tx, ev Event) error {
		d, ok, err := DomainEvent(ev)
		if !ok {
			return err
		}
		return h(tx, ev, d)
	}
}

// Stamped is a read-model document that records the event it was last
// folded with.
type Stamped interface {
	Document
	// Stamp records that the document, found by id, reflects ev.
	Stamp(id string, ev Event)
}

// FoldInto returns a Subscriber.Handle for a read model whose every event
// changes at most one document of coll. fold is the read model's plain
// fold: it names the document an event is about and returns how the event
// changes it, or nil when it does not. The document is loaded through the
// batch, left alone if the event is already in it (a replay or a
// redelivery), and stamped with its id and the event after fold.
func FoldInto[T any, PT interface {
	*T
	Stamped
}](coll string, fold func(domain.Event) (string, func(PT, Event))) func(context.Context, *Tx, Event) error {
	return OnDomainEvent(func(tx *Tx, ev Event, d domain.Event) error {
		id, f := fold(d)
		if f == nil {
			return nil
		}
		return Fold(tx, coll, id, ev, func(doc PT, _ bool) error {
			f(doc, ev)
			doc.Stamp(id, ev)
			return nil
		})
	})
}

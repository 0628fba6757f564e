package projections

import (
	"context"
	"encoding/json"
	"fmt"
)

// Tx is the unit of work of one batch of events: handlers read documents
// through it (seeing the batch's own earlier writes) and write documents to
// it; the runner commits it with the checkpoint. Documents are kept decoded
// between events of a batch, so a batch pays one decode and one encode per
// document, not per event.
type Tx struct {
	ctx   context.Context
	store Store
	ns    string
	force bool // replaying parked events: no position guard
	docs  map[txKey]*txEntry
	order []txKey
	// readErr is the first failure to read the store. A handler that fails
	// because of it is not at fault: the runner resubscribes instead of
	// counting the failure towards parking the event.
	readErr error
}

type txKey struct{ coll, id string }

type txEntry struct {
	doc   Doc
	val   any // decoded body when a typed fold touched it; Body is stale then
	found bool
	dirty bool
}

func newTx(ctx context.Context, store Store, ns string) *Tx {
	return &Tx{ctx: ctx, store: store, ns: ns, docs: map[txKey]*txEntry{}}
}

// Namespace is the namespace the batch writes to.
func (tx *Tx) Namespace() string { return tx.ns }

// Replaying reports whether the batch is a replay of parked events, which
// are written without the position guard.
func (tx *Tx) Replaying() bool { return tx.force }

func (tx *Tx) entry(coll, id string) (*txEntry, error) {
	k := txKey{coll, id}
	if e, ok := tx.docs[k]; ok {
		return e, nil
	}
	d, ok, err := tx.store.Get(tx.ctx, tx.ns, coll, id)
	if err != nil {
		if tx.readErr == nil {
			tx.readErr = err
		}
		return nil, err
	}
	if !ok {
		d = Doc{ID: id}
	}
	e := &txEntry{doc: d, found: ok}
	tx.docs[k] = e
	return e, nil
}

// Get returns a document as the batch sees it; ok is false when it does
// not exist.
func (tx *Tx) Get(coll, id string) (Doc, bool, error) {
	e, err := tx.entry(coll, id)
	if err != nil {
		return Doc{}, false, err
	}
	if e.val != nil {
		b, err := json.Marshal(e.val)
		if err != nil {
			return Doc{}, false, err
		}
		e.doc.Body = b
	}
	return e.doc, e.found, nil
}

// Put writes a whole document (guarded by d.Position at commit).
func (tx *Tx) Put(coll string, d Doc) {
	k := txKey{coll, d.ID}
	e, ok := tx.docs[k]
	if !ok {
		e = &txEntry{}
		tx.docs[k] = e
	}
	if !e.dirty {
		tx.order = append(tx.order, k)
	}
	e.doc, e.val, e.found, e.dirty = d, nil, true, true
}

// Document is a read-model document type: it names the index values it is
// found by.
type Document interface {
	IndexKeys() map[string]string
}

// Fold loads document coll/id into a T (its zero value when new), and
// unless the event is already folded into it (its position is not earlier
// than ev's), applies f and keeps the result for the commit. exists tells f
// whether the document was there before. An error from f fails the event.
func Fold[T any, PT interface {
	*T
	Document
}](tx *Tx, coll, id string, ev Event, f func(doc PT, exists bool) error) error {
	e, err := tx.entry(coll, id)
	if err != nil {
		return err
	}
	if e.found && !e.doc.Position.Less(ev.Position) && !tx.force {
		return nil // a redelivery: already in this document
	}
	v, ok := e.val.(PT)
	if !ok {
		v = PT(new(T))
		if e.found && len(e.doc.Body) > 0 {
			if err := json.Unmarshal(e.doc.Body, v); err != nil {
				return fmt.Errorf("decode %s/%s: %w", coll, id, err)
			}
		}
	}
	if err := f(v, e.found); err != nil {
		return err
	}
	if !e.dirty {
		tx.order = append(tx.order, txKey{coll, id})
	}
	if tx.force && ev.Position.Less(e.doc.Position) {
		ev.Position = e.doc.Position // a replay never moves a document back
	}
	e.val, e.found, e.dirty = v, true, true
	e.doc.Position, e.doc.Keys = ev.Position, v.IndexKeys()
	return nil
}

// writes encodes the batch's dirty documents in the order first written.
func (tx *Tx) writes() ([]Write, error) {
	out := make([]Write, 0, len(tx.order))
	for _, k := range tx.order {
		e := tx.docs[k]
		d := e.doc
		if e.val != nil {
			b, err := json.Marshal(e.val)
			if err != nil {
				return nil, fmt.Errorf("encode %s/%s: %w", k.coll, k.id, err)
			}
			d.Body = b
		}
		out = append(out, Write{Coll: k.coll, Doc: d, Force: tx.force})
	}
	return out, nil
}

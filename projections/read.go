package projections

import (
	"context"
	"encoding/json"
	"fmt"
)

// Get reads document coll/id of namespace ns into a T; ok is false when
// there is none. The read models' query functions use it.
func Get[T any](ctx context.Context, docs DocumentReader, ns, coll, id string) (v T, ok bool, err error) {
	d, ok, err := docs.Get(ctx, ns, coll, id)
	if err != nil || !ok {
		return v, ok, err
	}
	v, err = decodeDoc[T](d)
	return v, err == nil, err
}

// FindAll reads the documents of coll in ns whose Keys[key] is value, at
// most limit of them (0 means all), each into a T.
func FindAll[T any](ctx context.Context, docs DocumentReader, ns, coll, key, value string, limit int) ([]T, error) {
	ds, err := docs.Find(ctx, ns, coll, key, value, limit)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(ds))
	for _, d := range ds {
		v, err := decodeDoc[T](d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func decodeDoc[T any](d Doc) (T, error) {
	var v T
	if err := json.Unmarshal(d.Body, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", d.ID, err)
	}
	return v, nil
}

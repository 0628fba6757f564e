package bolt

import (
	"encoding/binary"
	"errors"
	"sort"

	"github.com/vetclinic/clinic/projections"
)

// encodeDoc lays a document out as: commit, prepare (8 bytes each, big
// endian), the number of keys and each key and value (uvarint length
// prefixed), then the body.
func encodeDoc(d projections.Doc) []byte {
	n := 16 + binary.MaxVarintLen64 + len(d.Body)
	for k, v := range d.Keys {
		n += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	b := make([]byte, 16, n)
	binary.BigEndian.PutUint64(b, d.Position.Commit)
	binary.BigEndian.PutUint64(b[8:], d.Position.Prepare)
	b = binary.AppendUvarint(b, uint64(len(d.Keys)))
	keys := make([]string, 0, len(d.Keys))
	for k := range d.Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		v := d.Keys[k]
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return append(b, d.Body...)
}

var errCorrupt = errors.New("bolt: corrupt document")

func decodeParts(v []byte) (projections.Position, map[string]string, []byte, error) {
	if len(v) < 17 {
		return projections.Position{}, nil, nil, errCorrupt
	}
	pos := projections.Position{Commit: binary.BigEndian.Uint64(v), Prepare: binary.BigEndian.Uint64(v[8:])}
	v = v[16:]
	n, w := binary.Uvarint(v)
	if w <= 0 {
		return pos, nil, nil, errCorrupt
	}
	v = v[w:]
	var keys map[string]string
	if n > 0 {
		keys = make(map[string]string, n)
	}
	for i := uint64(0); i < n; i++ {
		var k, val string
		for _, dst := range []*string{&k, &val} {
			l, w := binary.Uvarint(v)
			if w <= 0 || uint64(len(v)-w) < l {
				return pos, nil, nil, errCorrupt
			}
			*dst = string(v[w : w+int(l)])
			v = v[w+int(l):]
		}
		keys[k] = val
	}
	return pos, keys, v, nil
}

func decodeDoc(id string, v []byte) (projections.Doc, error) {
	pos, keys, body, err := decodeParts(v)
	if err != nil {
		return projections.Doc{}, err
	}
	return projections.Doc{ID: id, Position: pos, Keys: keys, Body: append([]byte(nil), body...)}, nil
}

package eventstore

import (
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
)

// A stored event is the wire encoding of the protocol's
// ReadResp.ReadEvent.RecordedEvent message, written once by the writer, so
// that a read copies bytes into a frame instead of building and marshalling a
// message per event. Field numbers of that message:
const (
	recID        = 1 // UUID message
	recStream    = 2 // StreamIdentifier message (field 3: stream_name)
	recRevision  = 3
	recPrepare   = 4
	recCommit    = 5
	recMetadata  = 6 // map<string,string> entries (1: key, 2: value)
	recCustomMD  = 7
	recData      = 8
	uuidStruct   = 1 // UUID.structured
	uuidString   = 2 // UUID.string
	streamNameNo = 3 // StreamIdentifier.stream_name
)

// System metadata keys every recorded event carries.
const (
	mdType        = "type"
	mdContentType = "content-type"
	mdCreated     = "created"
)

// octetStream is the content type of events that name none; never modified.
var octetStream = []byte("application/octet-stream")

// event is one event as the writer stores it.
type event struct {
	id          uuid.UUID
	eventType   []byte // aliases the request it came in
	contentType []byte
	customMD    []byte
	data        []byte
}

// ticks is t as .NET ticks (100 ns) since the Unix epoch, the unit of the
// "created" metadata.
func ticks(t time.Time) int64 { return t.UnixNano() / 100 }

// appendRecord appends the encoded RecordedEvent for e to b.
func appendRecord(b []byte, stream string, rev, pos uint64, created int64, e *event) []byte {
	most := binary.BigEndian.Uint64(e.id[:8])
	least := binary.BigEndian.Uint64(e.id[8:])
	idLen := protowire.SizeTag(uuidStruct) + protowire.SizeBytes(
		protowire.SizeTag(1)+protowire.SizeVarint(most)+protowire.SizeTag(2)+protowire.SizeVarint(least))
	b = protowire.AppendTag(b, recID, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(idLen))
	b = protowire.AppendTag(b, uuidStruct, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(1)+protowire.SizeVarint(most)+protowire.SizeTag(2)+protowire.SizeVarint(least)))
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, most)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, least)

	b = protowire.AppendTag(b, recStream, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(streamNameNo)+protowire.SizeBytes(len(stream))))
	b = protowire.AppendTag(b, streamNameNo, protowire.BytesType)
	b = protowire.AppendString(b, stream)

	b = protowire.AppendTag(b, recRevision, protowire.VarintType)
	b = protowire.AppendVarint(b, rev)
	b = protowire.AppendTag(b, recPrepare, protowire.VarintType)
	b = protowire.AppendVarint(b, pos)
	b = protowire.AppendTag(b, recCommit, protowire.VarintType)
	b = protowire.AppendVarint(b, pos)

	b = appendMapEntry(b, mdType, e.eventType)
	b = appendMapEntry(b, mdContentType, e.contentType)
	var num [20]byte
	b = appendMapEntry(b, mdCreated, strconv.AppendInt(num[:0], created, 10))

	if len(e.customMD) > 0 {
		b = protowire.AppendTag(b, recCustomMD, protowire.BytesType)
		b = protowire.AppendBytes(b, e.customMD)
	}
	if len(e.data) > 0 {
		b = protowire.AppendTag(b, recData, protowire.BytesType)
		b = protowire.AppendBytes(b, e.data)
	}
	return b
}

func appendMapEntry(b []byte, k string, v []byte) []byte {
	n := protowire.SizeTag(1) + protowire.SizeBytes(len(k)) + protowire.SizeTag(2) + protowire.SizeBytes(len(v))
	b = protowire.AppendTag(b, recMetadata, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, k)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// errBadRecord reports a stored record that does not parse; it means the
// store is damaged, never that a client sent something odd.
var errBadRecord = errors.New("eventstore: damaged record")

// recordView is what filters and truncation rules need from a stored record;
// its byte slices alias the record.
type recordView struct {
	id        []byte // the UUID field's message bytes
	stream    []byte
	eventType []byte
	created   int64
	revision  uint64
	position  uint64
	data      []byte
}

// parseRecord reads the fields of a stored record.
func parseRecord(rec []byte) (recordView, error) {
	var v recordView
	for len(rec) > 0 {
		num, typ, n := protowire.ConsumeTag(rec)
		if n < 0 {
			return v, errBadRecord
		}
		rec = rec[n:]
		switch typ {
		case protowire.VarintType:
			x, n := protowire.ConsumeVarint(rec)
			if n < 0 {
				return v, errBadRecord
			}
			rec = rec[n:]
			switch num {
			case recRevision:
				v.revision = x
			case recCommit:
				v.position = x
			}
		case protowire.BytesType:
			x, n := protowire.ConsumeBytes(rec)
			if n < 0 {
				return v, errBadRecord
			}
			rec = rec[n:]
			switch num {
			case recID:
				v.id = x
			case recStream:
				v.stream = nestedBytes(x, streamNameNo)
			case recMetadata:
				k, val := mapEntry(x)
				switch string(k) {
				case mdType:
					v.eventType = val
				case mdCreated:
					v.created, _ = strconv.ParseInt(string(val), 10, 64)
				}
			case recData:
				v.data = x
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, rec)
			if n < 0 {
				return v, errBadRecord
			}
			rec = rec[n:]
		}
	}
	return v, nil
}

// nestedBytes returns the bytes field num of message m.
func nestedBytes(m []byte, num protowire.Number) []byte {
	for len(m) > 0 {
		n2, typ, n := protowire.ConsumeTag(m)
		if n < 0 {
			return nil
		}
		m = m[n:]
		if typ == protowire.BytesType {
			x, n := protowire.ConsumeBytes(m)
			if n < 0 {
				return nil
			}
			if n2 == num {
				return x
			}
			m = m[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(n2, typ, m)
		if n < 0 {
			return nil
		}
		m = m[n:]
	}
	return nil
}

func mapEntry(m []byte) (k, v []byte) {
	return nestedBytes(m, 1), nestedBytes(m, 2)
}

// eventID is the UUID of a parsed record; zero if it does not parse.
func (v recordView) eventID() uuid.UUID {
	id, err := wireUUID(v.id)
	if err != nil {
		return uuid.UUID{}
	}
	return id
}

// withStringID rewrites a stored record so its id is the UUID's string
// form, for readers that ask for uuid_option string.
func withStringID(rec []byte) []byte {
	v, err := parseRecord(rec)
	if err != nil {
		return rec
	}
	id := v.eventID().String()
	out := make([]byte, 0, len(rec)+40)
	out = protowire.AppendTag(out, recID, protowire.BytesType)
	out = protowire.AppendVarint(out, uint64(protowire.SizeTag(uuidString)+protowire.SizeBytes(len(id))))
	out = protowire.AppendTag(out, uuidString, protowire.BytesType)
	out = protowire.AppendString(out, id)
	for len(rec) > 0 {
		num, typ, n := protowire.ConsumeTag(rec)
		if n < 0 {
			return out
		}
		m := protowire.ConsumeFieldValue(num, typ, rec[n:])
		if m < 0 {
			return out
		}
		if num != recID {
			out = append(out, rec[:n+m]...)
		}
		rec = rec[n+m:]
	}
	return out
}

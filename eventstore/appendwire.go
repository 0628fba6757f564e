package eventstore

import (
	"encoding/binary"
	"errors"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
)

// Appends are decoded from and answered in wire form by hand: an append is
// two or three small messages, and building them through reflection cost
// more than the rest of the append path on the server.

// rawMsg receives a message without decoding it (see codec.Unmarshal).
type rawMsg struct{ b []byte }

var errBadAppend = errors.New("malformed append request")

// AppendReq fields.
const (
	appendOptions  = 1
	appendProposed = 2

	optStream       = 1
	optRevision     = 2
	optNoStream     = 3
	optAny          = 4
	optStreamExists = 5

	propID       = 1
	propMetadata = 2
	propCustomMD = 3
	propData     = 4
)

// splitAppendReq returns which content an AppendReq holds and its bytes.
func splitAppendReq(b []byte) (protowire.Number, []byte, error) {
	var num protowire.Number
	var body []byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return 0, nil, errBadAppend
		}
		b = b[l:]
		if typ != protowire.BytesType {
			l = protowire.ConsumeFieldValue(n, typ, b)
			if l < 0 {
				return 0, nil, errBadAppend
			}
			b = b[l:]
			continue
		}
		v, l := protowire.ConsumeBytes(b)
		if l < 0 {
			return 0, nil, errBadAppend
		}
		b = b[l:]
		if n == appendOptions || n == appendProposed {
			num, body = n, v // the last oneof case wins, as in proto
		}
	}
	if num == 0 {
		return 0, nil, errBadAppend
	}
	return num, body, nil
}

// parseAppendOptions reads AppendReq.Options.
func parseAppendOptions(b []byte) (string, expected, error) {
	var stream []byte
	exp := expected{kind: expectAny}
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return "", exp, errBadAppend
		}
		b = b[l:]
		switch {
		case n == optRevision && typ == protowire.VarintType:
			v, l := protowire.ConsumeVarint(b)
			if l < 0 {
				return "", exp, errBadAppend
			}
			b = b[l:]
			exp = expected{kind: expectRevision, rev: v}
			continue
		case typ == protowire.BytesType:
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return "", exp, errBadAppend
			}
			b = b[l:]
			switch n {
			case optStream:
				stream = nestedBytes(v, streamNameNo)
			case optNoStream:
				exp = expected{kind: expectNoStream}
			case optAny:
				exp = expected{kind: expectAny}
			case optStreamExists:
				exp = expected{kind: expectExists}
			}
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return "", exp, errBadAppend
		}
		b = b[l:]
	}
	return string(stream), exp, nil
}

// parseProposed reads AppendReq.ProposedMessage into e; e's byte slices
// alias b.
func parseProposed(b []byte, e *event) error {
	var haveID bool
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return errBadAppend
		}
		b = b[l:]
		if typ != protowire.BytesType {
			l = protowire.ConsumeFieldValue(n, typ, b)
			if l < 0 {
				return errBadAppend
			}
			b = b[l:]
			continue
		}
		v, l := protowire.ConsumeBytes(b)
		if l < 0 {
			return errBadAppend
		}
		b = b[l:]
		switch n {
		case propID:
			id, err := wireUUID(v)
			if err != nil {
				return err
			}
			e.id, haveID = id, true
		case propMetadata:
			k, val := mapEntry(v)
			switch string(k) {
			case mdType:
				e.eventType = val
			case mdContentType:
				e.contentType = val
			}
		case propCustomMD:
			e.customMD = v
		case propData:
			e.data = v
		}
	}
	if !haveID {
		return errors.New("event id is missing")
	}
	return nil
}

// wireUUID reads a UUID message in either form.
func wireUUID(b []byte) (uuid.UUID, error) {
	var id uuid.UUID
	if s := nestedBytes(b, uuidString); s != nil {
		return uuid.ParseBytes(s)
	}
	s := nestedBytes(b, uuidStruct)
	if s == nil {
		return id, errors.New("event id is missing")
	}
	for len(s) > 0 {
		n, typ, l := protowire.ConsumeTag(s)
		if l < 0 || typ != protowire.VarintType {
			return id, errBadAppend
		}
		s = s[l:]
		v, l := protowire.ConsumeVarint(s)
		if l < 0 {
			return id, errBadAppend
		}
		s = s[l:]
		switch n {
		case 1:
			binary.BigEndian.PutUint64(id[:8], v)
		case 2:
			binary.BigEndian.PutUint64(id[8:], v)
		}
	}
	return id, nil
}

// successFrame encodes AppendResp{success: {current_revision | no_stream,
// position | no_position}} in one allocation.
func successFrame(current int64, pos uint64) *frame {
	var posMsg int
	if pos > 0 {
		posMsg = 2*protowire.SizeTag(1) + 2*protowire.SizeVarint(pos)
	}
	inner := protowire.SizeTag(3) + protowire.SizeBytes(posMsg) // position or no_position
	if current >= 0 {
		inner += protowire.SizeTag(1) + protowire.SizeVarint(uint64(current))
	} else {
		inner += protowire.SizeTag(2) + protowire.SizeBytes(0)
	}
	b := make([]byte, 0, protowire.SizeTag(1)+protowire.SizeBytes(inner))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(inner))
	if current >= 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(current))
	} else {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendVarint(b, 0)
	}
	if pos > 0 {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(posMsg))
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, pos)
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, pos)
	} else {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendVarint(b, 0)
	}
	return &frame{b: b}
}

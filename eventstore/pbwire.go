package eventstore

import (
	"errors"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// The server encodes and decodes every message of the protocol by hand, with
// protowire, instead of linking a client's generated code. Both official Go
// clients (EventStoreDB v4 and KurrentDB) generate packages that register
// the same protobuf names (event_store.client.*), and the protobuf runtime
// refuses to start a program that links both. A server with no generated
// code links into a program with either client, so the conformance suite
// can run both against it in-process, and the application can move from
// one client to the other without touching the store.

var errBadMessage = errors.New("malformed message")

// field is one decoded protobuf field: a varint (v) or a length-delimited
// value (b), numbered n.
type field struct {
	n   protowire.Number
	typ protowire.Type
	v   uint64
	b   []byte
}

// walk calls fn for each top-level field of message m, in order.
func walk(m []byte, fn func(f field) error) error {
	for len(m) > 0 {
		n, typ, l := protowire.ConsumeTag(m)
		if l < 0 {
			return errBadMessage
		}
		m = m[l:]
		f := field{n: n, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, l = protowire.ConsumeVarint(m)
		case protowire.BytesType:
			f.b, l = protowire.ConsumeBytes(m)
		default:
			l = protowire.ConsumeFieldValue(n, typ, m)
		}
		if l < 0 {
			return errBadMessage
		}
		m = m[l:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// msg builds a message field by field. Control messages are small and rare,
// so each nested message is built on its own and then copied in.
type msg []byte

func (m msg) varint(n protowire.Number, v uint64) msg {
	m = protowire.AppendTag(m, n, protowire.VarintType)
	return protowire.AppendVarint(m, v)
}

func (m msg) bytes(n protowire.Number, b []byte) msg {
	m = protowire.AppendTag(m, n, protowire.BytesType)
	return protowire.AppendBytes(m, b)
}

func (m msg) str(n protowire.Number, s string) msg {
	m = protowire.AppendTag(m, n, protowire.BytesType)
	return protowire.AppendString(m, s)
}

// empty adds an empty message (event_store.client.Empty) as field n.
func (m msg) empty(n protowire.Number) msg { return m.bytes(n, nil) }

// position is a Position message: commit and prepare, equal here.
func position(pos uint64) msg { return msg(nil).varint(1, pos).varint(2, pos) }

// timestamp is a google.protobuf.Timestamp.
func timestamp(t time.Time) msg {
	return msg(nil).varint(1, uint64(t.Unix())).varint(2, uint64(t.Nanosecond()))
}

// streamIdentifier is event_store.client.StreamIdentifier.
func streamIdentifier(stream string) msg { return msg(nil).str(streamNameNo, stream) }

func (m msg) frame() *frame { return &frame{b: m} }

package eventstore

import (
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the proto codec wrapped below
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// frame is a ReadResp already in wire form. Reads send stored records as
// frames so no message is built or marshalled per event.
type frame struct{ b []byte }

// codec is the proto codec plus frames.
type codec struct{ proto encoding.CodecV2 }

func newCodec() codec { return codec{proto: encoding.GetCodecV2("proto")} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if f, ok := v.(*frame); ok {
		return mem.BufferSlice{mem.SliceBuffer(f.b)}, nil
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*rawMsg); ok {
		r.b = data.Materialize()
		return nil
	}
	return c.proto.Unmarshal(data, v)
}

func (c codec) Name() string { return "proto" }

// ReadResp and ReadResp.ReadEvent field numbers.
const (
	respEvent          = 1
	readEventEvent     = 1
	readEventCommitPos = 3
)

// eventFrame wraps a stored record into ReadResp{event: ReadEvent{event:
// record, commit_position: pos}}.
func eventFrame(rec []byte, pos uint64) *frame {
	inner := protowire.SizeTag(readEventEvent) + protowire.SizeBytes(len(rec)) +
		protowire.SizeTag(readEventCommitPos) + protowire.SizeVarint(pos)
	b := make([]byte, 0, protowire.SizeTag(respEvent)+protowire.SizeBytes(inner))
	b = protowire.AppendTag(b, respEvent, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(inner))
	b = protowire.AppendTag(b, readEventEvent, protowire.BytesType)
	b = protowire.AppendBytes(b, rec)
	b = protowire.AppendTag(b, readEventCommitPos, protowire.VarintType)
	b = protowire.AppendVarint(b, pos)
	return &frame{b: b}
}

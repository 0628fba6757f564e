package eventstore

import (
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
)

// ReadResp fields (streams.proto), besides event (respEvent, codec.go).
const (
	respConfirmation   = 2 // SubscriptionConfirmation{subscription_id 1}
	respCheckpoint     = 3 // Checkpoint{commit 1, prepare 2}
	respStreamNotFound = 4 // StreamNotFound{stream_identifier 1}
	respCaughtUp       = 8 // CaughtUp{timestamp 1, stream_revision 2, position 3}
	respFellBehind     = 9 // FellBehind, the same fields
)

func confirmFrame(id string) *frame {
	return msg(nil).bytes(respConfirmation, msg(nil).str(1, id)).frame()
}

func checkpointFrame(pos uint64) *frame {
	return msg(nil).bytes(respCheckpoint, position(pos)).frame()
}

func streamNotFoundFrame(stream string) *frame {
	return msg(nil).bytes(respStreamNotFound, msg(nil).bytes(1, streamIdentifier(stream))).frame()
}

// liveMark is where a subscription stands when it caught up or fell
// behind: the checkpoint to resume from.
type liveMark struct {
	at  time.Time
	all bool
	rev int64  // stream: the last revision covered; -1 while the stream is empty
	pos uint64 // $all: the last position covered; 0 while the log is empty
}

// caughtUpFrame is the caught_up message of KurrentDB 24.x: the server's
// time and the revision or position the subscription has covered. Clients
// of the older dialect (an empty message) skip the fields they do not know.
func caughtUpFrame(m liveMark) *frame { return m.frame(respCaughtUp) }

// fellBehindFrame is the fell_behind message: the live subscription is
// reading a backlog again.
func fellBehindFrame(m liveMark) *frame { return m.frame(respFellBehind) }

func (m liveMark) frame(num protowire.Number) *frame {
	body := msg(nil).bytes(1, timestamp(m.at))
	switch {
	case m.all && m.pos > 0:
		body = body.bytes(3, position(m.pos))
	case !m.all && m.rev >= 0:
		body = body.varint(2, uint64(m.rev))
	}
	return msg(nil).bytes(num, body).frame()
}

// wrongVersionFrame is AppendResp{wrong_expected_version}, with both the
// current fields and those of 20.6.0, as EventStoreDB sends them.
func wrongVersionFrame(o *op) *frame {
	var w msg
	if o.current >= 0 {
		w = w.varint(1, uint64(o.current)) // current_revision_20_6_0
	} else {
		w = w.empty(2) // no_stream_20_6_0
	}
	if o.current >= 0 {
		w = w.varint(6, uint64(o.current)) // current_revision
	} else {
		w = w.empty(7) // current_no_stream
	}
	switch o.expect.kind {
	case expectRevision:
		w = w.varint(8, o.expect.rev)
	case expectNoStream:
		w = w.empty(11)
	case expectExists:
		w = w.empty(10)
	default:
		w = w.empty(9)
	}
	return msg(nil).bytes(2, w).frame()
}

// positionFrame is DeleteResp or TombstoneResp{position{commit, prepare}}.
func positionFrame(pos uint64) *frame { return msg(nil).bytes(1, position(pos)).frame() }

// uuidMsg is event_store.client.UUID in its string form.
func uuidMsg(id uuid.UUID) msg { return msg(nil).str(uuidString, id.String()) }

package eventstore

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// serverVersion is the KurrentDB version whose protocol surface this server
// follows. Clients read features from the method list below, but they gate
// some behaviour on the version too: the KurrentDB client, for one, expects
// a caught_up message with a timestamp and a revision or position from 24.x
// on, which this server sends. Nothing of 25.x (multi-stream appends,
// AppendRecords) is implemented, so the version must not claim it.
const serverVersion = "24.10.0"

// supportedMethods is ServerFeatures.GetSupportedMethods' answer: the
// methods this server really implements, in the lower case clients compare.
// Batch append and persistent subscriptions are missing, so clients never
// try them.
func supportedMethods() *frame {
	const streams = "event_store.client.streams.streams"
	const sf = "event_store.client.server_features.serverfeatures"
	var m msg
	for _, sm := range [][2]string{
		{streams, "read"},
		{streams, "append"},
		{streams, "delete"},
		{streams, "tombstone"},
		{sf, "getsupportedmethods"},
		{"event_store.client.gossip.gossip", "read"},
	} {
		m = m.bytes(1, msg(nil).str(1, sm[1]).str(2, sm[0]))
	}
	return m.str(2, serverVersion).frame()
}

// gossip answers cluster discovery (esdb+discover:// or several hosts in
// the URL) with this node alone, as the leader.
type gossip struct {
	host string
	port uint32
	id   uuid.UUID
	now  func() time.Time
}

func newGossip(addr string, now func() time.Time) (*gossip, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, err
	}
	return &gossip{host: host, port: uint32(p), id: uuid.New(), now: now}, nil
}

// MemberInfo.VNodeState Leader.
const vnodeLeader = 8

// read returns ClusterInfo{members: [this node]}.
func (g *gossip) read(context.Context) *frame {
	member := msg(nil).
		bytes(1, uuidMsg(g.id)).
		varint(2, uint64(ticks(g.now()))).
		varint(3, vnodeLeader).
		varint(4, 1).
		bytes(5, msg(nil).str(1, g.host).varint(2, uint64(g.port)))
	return msg(nil).bytes(1, member).frame()
}

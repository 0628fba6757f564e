package eventstore

import (
	"context"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/cockroachdb/pebble/v2/vfs"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// confirmRace is a subscription's server stream whose client appends as
// soon as it holds the confirmation, before the handler runs on: the
// slowest schedule the network allows.
type confirmRace struct {
	grpc.ServerStream
	ctx      context.Context
	cancel   context.CancelFunc
	onFirst  func()
	sent     int
	appeared int
}

func (c *confirmRace) Context() context.Context { return c.ctx }

func (c *confirmRace) SendMsg(m any) error {
	c.sent++
	if c.sent == 1 {
		c.onFirst()
		return nil
	}
	if f, ok := m.(*frame); ok {
		var r streams.ReadResp
		err := proto.Unmarshal(f.b, &r)
		if err == nil && r.GetCaughtUp() != nil {
			c.cancel()
			return nil
		}
		if err == nil && r.GetEvent() != nil {
			c.appeared++
		}
	}
	return nil
}

// A subscription from the end starts where the log ends when it is
// confirmed: an event the client appends right after the confirmation is
// delivered, however late the handler reads the head.
func TestSubscribeFromEndIncludesAppendAfterConfirmation(t *testing.T) {
	t.Parallel()
	for _, all := range []bool{true, false} {
		s, err := openStore(t.TempDir(), vfs.Default, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		w := newWriter(s, time.Now)
		h := &streamsService{s: s, w: w, log: quietLog(), now: time.Now, closing: make(chan struct{})}
		appendN(t, w, "pets", 2)

		opts := &streams.ReadReq_Options{CountOption: &streams.ReadReq_Options_Subscription{Subscription: &streams.ReadReq_Options_SubscriptionOptions{}}}
		if all {
			opts.StreamOption = &streams.ReadReq_Options_All{All: &streams.ReadReq_Options_AllOptions{
				AllOption: &streams.ReadReq_Options_AllOptions_End{End: &shared.Empty{}}}}
		} else {
			opts.StreamOption = &streams.ReadReq_Options_Stream{Stream: &streams.ReadReq_Options_StreamOptions{
				StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("pets")},
				RevisionOption:   &streams.ReadReq_Options_StreamOptions_End{End: &shared.Empty{}}}}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		srv := &confirmRace{ctx: ctx, cancel: cancel, onFirst: func() { appendN(t, w, "pets", 1) }}
		req, err := proto.Marshal(&streams.ReadReq{Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		_ = h.Read(req, srv)
		cancel()
		w.stop()
		if err := s.close(); err != nil {
			t.Fatal(err)
		}
		if srv.appeared != 1 {
			t.Errorf("all=%v: %d events delivered, want the 1 appended after the confirmation", all, srv.appeared)
		}
	}
}

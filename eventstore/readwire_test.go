package eventstore

import (
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/protobuf/proto"
)

// TestReadWireMatchesProto: the hand-written ReadReq decoder reads what the
// generated code writes.
func TestReadWireMatchesProto(t *testing.T) {
	t.Parallel()
	sub := &streams.ReadReq_Options_Subscription{Subscription: &streams.ReadReq_Options_SubscriptionOptions{}}
	stream := func(rev any) *streams.ReadReq_Options_Stream {
		so := &streams.ReadReq_Options_StreamOptions{StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("pets")}}
		switch r := rev.(type) {
		case uint64:
			so.RevisionOption = &streams.ReadReq_Options_StreamOptions_Revision{Revision: r}
		case string:
			so.RevisionOption = &streams.ReadReq_Options_StreamOptions_End{End: &shared.Empty{}}
		}
		return &streams.ReadReq_Options_Stream{Stream: so}
	}
	for _, c := range []struct {
		name string
		opts *streams.ReadReq_Options
		want readSpec
	}{
		{"stream from start", &streams.ReadReq_Options{StreamOption: stream(nil), CountOption: &streams.ReadReq_Options_Count{Count: 9}},
			readSpec{stream: "pets", fromStart: true, count: 9}},
		{"stream backwards from a revision", &streams.ReadReq_Options{StreamOption: stream(uint64(41)), ReadDirection: streams.ReadReq_Options_Backwards,
			CountOption: &streams.ReadReq_Options_Count{Count: 2}}, readSpec{stream: "pets", rev: 41, back: true, count: 2}},
		{"stream subscription from the end", &streams.ReadReq_Options{StreamOption: stream("end"), CountOption: sub,
			UuidOption: &streams.ReadReq_Options_UUIDOption{Content: &streams.ReadReq_Options_UUIDOption_String_{String_: &shared.Empty{}}}},
			readSpec{stream: "pets", fromEnd: true, subscribe: true, stringIDs: true}},
		{"$all from a position", &streams.ReadReq_Options{StreamOption: &streams.ReadReq_Options_All{All: &streams.ReadReq_Options_AllOptions{
			AllOption: &streams.ReadReq_Options_AllOptions_Position{Position: &streams.ReadReq_Options_Position{CommitPosition: 77, PreparePosition: 77}}}},
			CountOption: sub}, readSpec{all: true, pos: 77, subscribe: true}},
	} {
		b, err := proto.Marshal(&streams.ReadReq{Options: c.opts})
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseRead(b)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if *got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, *got, c.want)
		}
	}

	b, _ := proto.Marshal(&streams.ReadReq{Options: &streams.ReadReq_Options{
		StreamOption: &streams.ReadReq_Options_All{All: &streams.ReadReq_Options_AllOptions{AllOption: &streams.ReadReq_Options_AllOptions_Start{Start: &shared.Empty{}}}},
		CountOption:  sub,
		FilterOption: &streams.ReadReq_Options_Filter{Filter: &streams.ReadReq_Options_FilterOptions{
			Filter: &streams.ReadReq_Options_FilterOptions_EventType{EventType: &streams.ReadReq_Options_FilterOptions_Expression{
				Regex: "^Pet", Prefix: []string{"Pet", "Owner"}}},
			Window:                       &streams.ReadReq_Options_FilterOptions_Max{Max: 8},
			CheckpointIntervalMultiplier: 3,
		}},
	}})
	got, err := parseRead(b)
	if err != nil {
		t.Fatal(err)
	}
	if f := got.filter; f == nil || !f.onType || f.re == nil || f.re.String() != "^Pet" || len(f.prefixes) != 2 || f.interval != 24 {
		t.Errorf("filter: got %+v", f)
	}

	del, _ := proto.Marshal(&streams.DeleteReq{Options: &streams.DeleteReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte("pets")},
		ExpectedStreamRevision: &streams.DeleteReq_Options_Revision{Revision: 5},
	}})
	if s, exp, err := parseDeleteReq(del); err != nil || s != "pets" || exp != (expected{kind: expectRevision, rev: 5}) {
		t.Errorf("delete: %q %+v %v", s, exp, err)
	}
}

// TestLiveFramesMatchProto: caught_up and fell_behind decode with the v4
// generated code (which knows them as empty messages) as the right case.
func TestLiveFramesMatchProto(t *testing.T) {
	t.Parallel()
	m := liveMark{at: time.Unix(1700000000, 5), rev: 3}
	var r streams.ReadResp
	if err := proto.Unmarshal(caughtUpFrame(m).b, &r); err != nil || r.GetCaughtUp() == nil {
		t.Fatalf("caught_up: %v %v", &r, err)
	}
	if err := proto.Unmarshal(fellBehindFrame(liveMark{at: m.at, all: true, pos: 9}).b, &r); err != nil || r.GetFellBehind() == nil {
		t.Fatalf("fell_behind: %v %v", &r, err)
	}
	if err := proto.Unmarshal(streamNotFoundFrame("pets").b, &r); err != nil || string(r.GetStreamNotFound().GetStreamIdentifier().GetStreamName()) != "pets" {
		t.Fatalf("stream_not_found: %v %v", &r, err)
	}
}

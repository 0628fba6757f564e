package eventstore

import (
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// The hand-written wire code must agree with the generated messages.

func TestAppendWireMatchesProto(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	most, least := int64(0), int64(0)
	for i := 0; i < 8; i++ {
		most = most<<8 | int64(id[i])
		least = least<<8 | int64(id[8+i])
	}
	opts, err := proto.Marshal(&streams.AppendReq{Content: &streams.AppendReq_Options_{Options: &streams.AppendReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte("pets-1")},
		ExpectedStreamRevision: &streams.AppendReq_Options_Revision{Revision: 41},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	num, body, err := splitAppendReq(opts)
	if err != nil || num != appendOptions {
		t.Fatalf("options: %v %v", num, err)
	}
	stream, exp, err := parseAppendOptions(body)
	if err != nil || stream != "pets-1" || exp != (expected{kind: expectRevision, rev: 41}) {
		t.Fatalf("options: got %q %+v %v", stream, exp, err)
	}
	for _, c := range []struct {
		opt  *streams.AppendReq_Options
		want expectKind
	}{
		{&streams.AppendReq_Options{ExpectedStreamRevision: &streams.AppendReq_Options_NoStream{NoStream: &shared.Empty{}}}, expectNoStream},
		{&streams.AppendReq_Options{ExpectedStreamRevision: &streams.AppendReq_Options_StreamExists{StreamExists: &shared.Empty{}}}, expectExists},
		{&streams.AppendReq_Options{ExpectedStreamRevision: &streams.AppendReq_Options_Any{Any: &shared.Empty{}}}, expectAny},
	} {
		b, _ := proto.Marshal(&streams.AppendReq{Content: &streams.AppendReq_Options_{Options: c.opt}})
		_, body, _ := splitAppendReq(b)
		if _, exp, _ := parseAppendOptions(body); exp.kind != c.want {
			t.Errorf("got %v, want %v", exp.kind, c.want)
		}
	}

	for _, pid := range []*shared.UUID{
		{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}},
		{Value: &shared.UUID_String_{String_: id.String()}},
	} {
		pm, err := proto.Marshal(&streams.AppendReq{Content: &streams.AppendReq_ProposedMessage_{ProposedMessage: &streams.AppendReq_ProposedMessage{
			Id:             pid,
			Metadata:       map[string]string{"type": "Placed", "content-type": "application/json"},
			CustomMetadata: []byte(`{"c":1}`),
			Data:           []byte(`{"d":2}`),
		}}})
		if err != nil {
			t.Fatal(err)
		}
		num, body, err = splitAppendReq(pm)
		if err != nil || num != appendProposed {
			t.Fatalf("proposed: %v %v", num, err)
		}
		var e event
		if err := parseProposed(body, &e); err != nil {
			t.Fatal(err)
		}
		want := event{id: id, eventType: []byte("Placed"), contentType: []byte("application/json"), customMD: []byte(`{"c":1}`), data: []byte(`{"d":2}`)}
		if diff := cmp.Diff(want, e, cmp.AllowUnexported(event{})); diff != "" {
			t.Errorf("proposed (-want +got):\n%s", diff)
		}
	}
}

func TestFramesMatchProto(t *testing.T) {
	t.Parallel()
	var got streams.AppendResp
	if err := proto.Unmarshal(successFrame(7, 99).b, &got); err != nil {
		t.Fatal(err)
	}
	want := &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: &streams.AppendResp_Success{
		CurrentRevisionOption: &streams.AppendResp_Success_CurrentRevision{CurrentRevision: 7},
		PositionOption:        &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{CommitPosition: 99, PreparePosition: 99}},
	}}}
	if diff := cmp.Diff(want, &got, protocmp.Transform()); diff != "" {
		t.Errorf("success (-want +got):\n%s", diff)
	}
	if err := proto.Unmarshal(successFrame(-1, 0).b, &got); err != nil || got.GetSuccess().GetNoStream() == nil || got.GetSuccess().GetNoPosition() == nil {
		t.Errorf("empty success: %v %v", &got, err)
	}

	id := uuid.New()
	rec := appendRecord(nil, "pets-1", 3, 12, 638000000000000000, &event{id: id, eventType: []byte("Placed"),
		contentType: []byte("application/json"), customMD: []byte("m"), data: []byte("d")})
	var resp streams.ReadResp
	if err := proto.Unmarshal(eventFrame(rec, 12).b, &resp); err != nil {
		t.Fatal(err)
	}
	ev := resp.GetEvent()
	r := ev.GetEvent()
	if ev.GetCommitPosition() != 12 || r.GetStreamRevision() != 3 || r.GetCommitPosition() != 12 || r.GetPreparePosition() != 12 ||
		string(r.GetStreamIdentifier().GetStreamName()) != "pets-1" || string(r.GetData()) != "d" || string(r.GetCustomMetadata()) != "m" {
		t.Fatalf("record: %v", ev)
	}
	wantMD := map[string]string{"type": "Placed", "content-type": "application/json", "created": "638000000000000000"}
	if diff := cmp.Diff(wantMD, r.GetMetadata()); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	gotID, err := wireUUID(mustMarshal(t, r.GetId()))
	if err != nil || gotID != id {
		t.Errorf("id: got %v %v, want %v", gotID, err, id)
	}
	if err := proto.Unmarshal(eventFrame(withStringID(rec), 12).b, &resp); err != nil || resp.GetEvent().GetEvent().GetId().GetString_() != id.String() {
		t.Errorf("string id: %v %v", resp.GetEvent().GetEvent().GetId(), err)
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package conformance

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	ct "github.com/vetclinic/clinic/eventstore/conformance/conformancetest"
)

// TestClientNeutral runs the client-neutral cases through the EventStoreDB
// v4 client; package conformance/kurrentdb runs them through the KurrentDB
// client.
func TestClientNeutral(t *testing.T) {
	ct.Run(t, func(t testing.TB) ct.Client { return v4Client{newClient(t)} })
}

// v4Client adapts the EventStoreDB v4 client to conformancetest.Client.
type v4Client struct{ c *esdb.Client }

func (v v4Client) ServerVersion() (int, int, int, error) {
	sv, err := v.c.GetServerVersion()
	if err != nil {
		return 0, 0, 0, err
	}
	return sv.Major, sv.Minor, sv.Patch, nil
}

// LiveDetail is false: the v4 client's CaughtUp and FellBehind carry nothing.
func (v4Client) LiveDetail() bool { return false }

func v4Expect(e ct.Expect) esdb.ExpectedRevision {
	switch e.Kind {
	case ct.KindNoStream:
		return esdb.NoStream{}
	case ct.KindExists:
		return esdb.StreamExists{}
	case ct.KindRevision:
		return esdb.Revision(e.Revision)
	}
	return esdb.Any{}
}

func v4Err(err error) error {
	switch errorCode(err) {
	case esdb.ErrorCodeWrongExpectedVersion:
		return fmt.Errorf("%w: %v", ct.ErrWrongVersion, err)
	case esdb.ErrorCodeStreamDeleted:
		return fmt.Errorf("%w: %v", ct.ErrStreamDeleted, err)
	case esdb.ErrorCodeResourceNotFound:
		return fmt.Errorf("%w: %v", ct.ErrNotFound, err)
	}
	return err
}

func (v v4Client) Append(ctx context.Context, stream string, exp ct.Expect, evs ...ct.Event) (ct.Write, error) {
	data := make([]esdb.EventData, len(evs))
	for i, e := range evs {
		data[i] = esdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: esdb.ContentTypeBinary, Data: e.Data, Metadata: e.Metadata}
		if e.JSON {
			data[i].ContentType = esdb.ContentTypeJson
		}
	}
	w, err := v.c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: v4Expect(exp)}, data...)
	if err != nil {
		return ct.Write{}, v4Err(err)
	}
	return ct.Write{Next: w.NextExpectedVersion, Position: w.CommitPosition}, nil
}

func v4Recorded(e *esdb.RecordedEvent) ct.Recorded {
	return ct.Recorded{
		ID: e.EventID, Stream: e.StreamID, Revision: e.EventNumber, Position: e.Position.Commit,
		Type: e.EventType, ContentType: e.ContentType, Data: e.Data, Metadata: e.UserMetadata, Created: e.CreatedDate,
	}
}

func v4Direction(back bool) esdb.Direction {
	if back {
		return esdb.Backwards
	}
	return esdb.Forwards
}

func v4Drain(rs *esdb.ReadStream, err error) ([]ct.Recorded, error) {
	evs, err := collect(rs, err)
	if err != nil {
		return nil, v4Err(err)
	}
	out := make([]ct.Recorded, len(evs))
	for i, e := range evs {
		out[i] = v4Recorded(e)
	}
	return out, nil
}

func v4StreamFrom(f ct.From) esdb.StreamPosition {
	switch {
	case f.Start:
		return esdb.Start{}
	case f.End:
		return esdb.End{}
	}
	return esdb.Revision(f.At)
}

func v4AllFrom(f ct.From) esdb.AllPosition {
	switch {
	case f.Start:
		return esdb.Start{}
	case f.End:
		return esdb.End{}
	}
	return esdb.Position{Commit: f.At, Prepare: f.At}
}

func (v v4Client) ReadStream(ctx context.Context, stream string, r ct.Read) ([]ct.Recorded, error) {
	return v4Drain(v.c.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: v4Direction(r.Back), From: v4StreamFrom(r.From)}, r.Count))
}

func (v v4Client) ReadAll(ctx context.Context, r ct.Read) ([]ct.Recorded, error) {
	return v4Drain(v.c.ReadAll(ctx, esdb.ReadAllOptions{Direction: v4Direction(r.Back), From: v4AllFrom(r.From)}, r.Count))
}

func (v v4Client) SubscribeStream(ctx context.Context, stream string, from ct.From) (ct.Subscription, error) {
	sub, err := v.c.SubscribeToStream(ctx, stream, esdb.SubscribeToStreamOptions{From: v4StreamFrom(from)})
	if err != nil {
		return nil, v4Err(err)
	}
	return v4Sub{sub}, nil
}

func (v v4Client) SubscribeAll(ctx context.Context, from ct.From, f *ct.Filter) (ct.Subscription, error) {
	opts := esdb.SubscribeToAllOptions{From: v4AllFrom(from)}
	if f != nil {
		opts.Filter = &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: f.Prefixes, Regex: f.Regex}
		if f.OnType {
			opts.Filter.Type = esdb.EventFilterType
		}
		opts.MaxSearchWindow, opts.CheckpointInterval = f.Window, f.Interval
	}
	sub, err := v.c.SubscribeToAll(ctx, opts)
	if err != nil {
		return nil, v4Err(err)
	}
	return v4Sub{sub}, nil
}

func (v v4Client) Delete(ctx context.Context, stream string, exp ct.Expect) error {
	_, err := v.c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: v4Expect(exp)})
	return v4Err(err)
}

func (v v4Client) Tombstone(ctx context.Context, stream string, exp ct.Expect) error {
	_, err := v.c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{ExpectedRevision: v4Expect(exp)})
	return v4Err(err)
}

func (v v4Client) SetMetadata(ctx context.Context, stream string, m ct.Metadata) error {
	var md esdb.StreamMetadata
	if m.MaxCount != nil {
		md.SetMaxCount(*m.MaxCount)
	}
	if m.TruncateBefore != nil {
		md.SetTruncateBefore(*m.TruncateBefore)
	}
	_, err := v.c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, md)
	return v4Err(err)
}

func (v v4Client) GetMetadata(ctx context.Context, stream string) (ct.Metadata, error) {
	md, err := v.c.GetStreamMetadata(ctx, stream, esdb.ReadStreamOptions{})
	if err != nil {
		return ct.Metadata{}, v4Err(err)
	}
	return ct.Metadata{MaxCount: md.MaxCount(), TruncateBefore: md.TruncateBefore()}, nil
}

type v4Sub struct{ s *esdb.Subscription }

func (s v4Sub) Close() error { return s.s.Close() }

func (s v4Sub) Recv() ct.Message {
	for {
		m := s.s.Recv()
		switch {
		case m.SubscriptionDropped != nil:
			err := m.SubscriptionDropped.Error
			if err == nil {
				err = errors.New("dropped")
			}
			return ct.Message{Dropped: v4Err(err)}
		case m.EventAppeared != nil:
			r := v4Recorded(m.EventAppeared.OriginalEvent())
			return ct.Message{Event: &r}
		case m.CheckPointReached != nil:
			p := m.CheckPointReached.Commit
			return ct.Message{Checkpoint: &p}
		case m.CaughtUp != nil:
			return ct.Message{CaughtUp: &ct.Live{}}
		case m.FellBehind != nil:
			return ct.Message{FellBehind: &ct.Live{}}
		}
	}
}

package kurrent

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	ct "github.com/vetclinic/clinic/eventstore/conformance/conformancetest"
)

// TestClientNeutral runs the client-neutral cases through the KurrentDB
// client; package conformance runs them through the EventStoreDB v4 client.
func TestClientNeutral(t *testing.T) {
	ct.Run(t, func(t testing.TB) ct.Client { return kdbClient{newClient(t)} })
}

// kdbClient adapts the KurrentDB client to conformancetest.Client.
type kdbClient struct{ c *kurrentdb.Client }

func (v kdbClient) ServerVersion() (int, int, int, error) {
	sv, err := v.c.GetServerVersion()
	if err != nil {
		return 0, 0, 0, err
	}
	return sv.Major, sv.Minor, sv.Patch, nil
}

// LiveDetail is true: the KurrentDB client passes on caught_up's and
// fell_behind's time and checkpoint, and drops those without a time.
func (kdbClient) LiveDetail() bool { return true }

func kdbExpect(e ct.Expect) kurrentdb.StreamState {
	switch e.Kind {
	case ct.KindNoStream:
		return kurrentdb.NoStream{}
	case ct.KindExists:
		return kurrentdb.StreamExists{}
	case ct.KindRevision:
		return kurrentdb.Revision(e.Revision)
	}
	return kurrentdb.Any{}
}

func kdbErr(err error) error {
	switch errorCode(err) {
	case kurrentdb.ErrorCodeWrongExpectedVersion:
		return fmt.Errorf("%w: %v", ct.ErrWrongVersion, err)
	case kurrentdb.ErrorCodeStreamDeleted:
		return fmt.Errorf("%w: %v", ct.ErrStreamDeleted, err)
	case kurrentdb.ErrorCodeResourceNotFound:
		return fmt.Errorf("%w: %v", ct.ErrNotFound, err)
	}
	return err
}

func (v kdbClient) Append(ctx context.Context, stream string, exp ct.Expect, evs ...ct.Event) (ct.Write, error) {
	data := make([]kurrentdb.EventData, len(evs))
	for i, e := range evs {
		data[i] = kurrentdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: kurrentdb.ContentTypeBinary, Data: e.Data, Metadata: e.Metadata}
		if e.JSON {
			data[i].ContentType = kurrentdb.ContentTypeJson
		}
	}
	w, err := v.c.AppendToStream(ctx, stream, kurrentdb.AppendToStreamOptions{StreamState: kdbExpect(exp)}, data...)
	if err != nil {
		return ct.Write{}, kdbErr(err)
	}
	return ct.Write{Next: w.NextExpectedVersion, Position: w.CommitPosition}, nil
}

func kdbRecorded(e *kurrentdb.RecordedEvent) ct.Recorded {
	return ct.Recorded{
		ID: e.EventID, Stream: e.StreamID, Revision: e.EventNumber, Position: e.Position.Commit,
		Type: e.EventType, ContentType: e.ContentType, Data: e.Data, Metadata: e.UserMetadata, Created: e.CreatedDate,
	}
}

func kdbDirection(back bool) kurrentdb.Direction {
	if back {
		return kurrentdb.Backwards
	}
	return kurrentdb.Forwards
}

func kdbDrain(rs *kurrentdb.ReadStream, err error) ([]ct.Recorded, error) {
	evs, err := collect(rs, err)
	if err != nil {
		return nil, kdbErr(err)
	}
	out := make([]ct.Recorded, len(evs))
	for i, e := range evs {
		out[i] = kdbRecorded(e)
	}
	return out, nil
}

func kdbStreamFrom(f ct.From) kurrentdb.StreamPosition {
	switch {
	case f.Start:
		return kurrentdb.Start{}
	case f.End:
		return kurrentdb.End{}
	}
	return kurrentdb.Revision(f.At)
}

func kdbAllFrom(f ct.From) kurrentdb.AllPosition {
	switch {
	case f.Start:
		return kurrentdb.Start{}
	case f.End:
		return kurrentdb.End{}
	}
	return kurrentdb.Position{Commit: f.At, Prepare: f.At}
}

func (v kdbClient) ReadStream(ctx context.Context, stream string, r ct.Read) ([]ct.Recorded, error) {
	return kdbDrain(v.c.ReadStream(ctx, stream, kurrentdb.ReadStreamOptions{Direction: kdbDirection(r.Back), From: kdbStreamFrom(r.From)}, r.Count))
}

func (v kdbClient) ReadAll(ctx context.Context, r ct.Read) ([]ct.Recorded, error) {
	return kdbDrain(v.c.ReadAll(ctx, kurrentdb.ReadAllOptions{Direction: kdbDirection(r.Back), From: kdbAllFrom(r.From)}, r.Count))
}

func (v kdbClient) SubscribeStream(ctx context.Context, stream string, from ct.From) (ct.Subscription, error) {
	sub, err := v.c.SubscribeToStream(ctx, stream, kurrentdb.SubscribeToStreamOptions{From: kdbStreamFrom(from)})
	if err != nil {
		return nil, kdbErr(err)
	}
	return kdbSub{sub}, nil
}

func (v kdbClient) SubscribeAll(ctx context.Context, from ct.From, f *ct.Filter) (ct.Subscription, error) {
	opts := kurrentdb.SubscribeToAllOptions{From: kdbAllFrom(from)}
	if f != nil {
		opts.Filter = &kurrentdb.SubscriptionFilter{Type: kurrentdb.StreamFilterType, Prefixes: f.Prefixes, Regex: f.Regex}
		if f.OnType {
			opts.Filter.Type = kurrentdb.EventFilterType
		}
		opts.MaxSearchWindow, opts.CheckpointInterval = f.Window, f.Interval
	}
	sub, err := v.c.SubscribeToAll(ctx, opts)
	if err != nil {
		return nil, kdbErr(err)
	}
	return kdbSub{sub}, nil
}

func (v kdbClient) Delete(ctx context.Context, stream string, exp ct.Expect) error {
	_, err := v.c.DeleteStream(ctx, stream, kurrentdb.DeleteStreamOptions{StreamState: kdbExpect(exp)})
	return kdbErr(err)
}

func (v kdbClient) Tombstone(ctx context.Context, stream string, exp ct.Expect) error {
	_, err := v.c.TombstoneStream(ctx, stream, kurrentdb.TombstoneStreamOptions{StreamState: kdbExpect(exp)})
	return kdbErr(err)
}

func (v kdbClient) SetMetadata(ctx context.Context, stream string, m ct.Metadata) error {
	var md kurrentdb.StreamMetadata
	if m.MaxCount != nil {
		md.SetMaxCount(*m.MaxCount)
	}
	if m.TruncateBefore != nil {
		md.SetTruncateBefore(*m.TruncateBefore)
	}
	_, err := v.c.SetStreamMetadata(ctx, stream, kurrentdb.AppendToStreamOptions{}, md)
	return kdbErr(err)
}

func (v kdbClient) GetMetadata(ctx context.Context, stream string) (ct.Metadata, error) {
	md, err := v.c.GetStreamMetadata(ctx, stream, kurrentdb.ReadStreamOptions{})
	if err != nil {
		return ct.Metadata{}, kdbErr(err)
	}
	return ct.Metadata{MaxCount: md.MaxCount(), TruncateBefore: md.TruncateBefore()}, nil
}

type kdbSub struct{ s *kurrentdb.Subscription }

func (s kdbSub) Close() error { return s.s.Close() }

func (s kdbSub) Recv() ct.Message {
	for {
		m := s.s.Recv()
		switch {
		case m.SubscriptionDropped != nil:
			err := m.SubscriptionDropped.Error
			if err == nil {
				err = errors.New("dropped")
			}
			return ct.Message{Dropped: kdbErr(err)}
		case m.EventAppeared != nil:
			r := kdbRecorded(m.EventAppeared.OriginalEvent())
			return ct.Message{Event: &r}
		case m.CheckPointReached != nil:
			p := m.CheckPointReached.Commit
			return ct.Message{Checkpoint: &p}
		case m.CaughtUp != nil:
			return ct.Message{CaughtUp: kdbLive(m.CaughtUp.Date, m.CaughtUp.StreamRevision, m.CaughtUp.Position)}
		case m.FellBehind != nil:
			return ct.Message{FellBehind: kdbLive(m.FellBehind.Date, m.FellBehind.StreamRevision, m.FellBehind.Position)}
		}
		// Anything else the client decoded to nothing, as it does a
		// caught_up without a timestamp: its user sees no message.
	}
}

func kdbLive(at time.Time, rev *uint64, pos *kurrentdb.Position) *ct.Live {
	l := &ct.Live{At: at, Revision: rev}
	if pos != nil {
		l.Position = &pos.Commit
	}
	return l
}

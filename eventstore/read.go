package eventstore

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// readSpec is a parsed ReadReq.
type readSpec struct {
	all       bool
	stream    string
	back      bool
	count     uint64
	subscribe bool
	filter    *filter
	stringIDs bool

	// stream: from revision (fromStart / fromEnd override)
	rev       uint64
	fromStart bool
	fromEnd   bool
	// $all: from position
	pos uint64
}

func parseRead(req *streams.ReadReq) (*readSpec, error) {
	o := req.GetOptions()
	if o == nil {
		return nil, status.Error(codes.InvalidArgument, "read options are missing")
	}
	r := &readSpec{back: o.ReadDirection == streams.ReadReq_Options_Backwards}
	switch so := o.StreamOption.(type) {
	case *streams.ReadReq_Options_Stream:
		r.stream = string(so.Stream.GetStreamIdentifier().GetStreamName())
		if r.stream == "" {
			return nil, status.Error(codes.InvalidArgument, "stream name is empty")
		}
		switch rv := so.Stream.RevisionOption.(type) {
		case *streams.ReadReq_Options_StreamOptions_Revision:
			r.rev = rv.Revision
		case *streams.ReadReq_Options_StreamOptions_End:
			r.fromEnd = true
		default:
			r.fromStart = true
		}
	case *streams.ReadReq_Options_All:
		r.all = true
		switch ao := so.All.AllOption.(type) {
		case *streams.ReadReq_Options_AllOptions_Position:
			r.pos = ao.Position.GetCommitPosition()
		case *streams.ReadReq_Options_AllOptions_End:
			r.fromEnd = true
		default:
			r.fromStart = true
		}
	default:
		return nil, status.Error(codes.InvalidArgument, "read needs a stream or $all")
	}
	switch co := o.CountOption.(type) {
	case *streams.ReadReq_Options_Subscription:
		r.subscribe = true
	case *streams.ReadReq_Options_Count:
		r.count = co.Count
	}
	if f := o.GetFilter(); f != nil {
		flt, err := newFilter(f)
		if err != nil {
			return nil, err
		}
		r.filter = flt
	}
	if _, ok := o.GetUuidOption().GetContent().(*streams.ReadReq_Options_UUIDOption_String_); ok {
		r.stringIDs = true
	}
	return r, nil
}

// Read serves plain reads of a stream or $all, and subscriptions.
func (h *streamsService) Read(req *streams.ReadReq, srv streams.Streams_ReadServer) error {
	r, err := parseRead(req)
	if err != nil {
		return err
	}
	if r.subscribe {
		return h.subscribe(r, srv)
	}
	if r.all {
		return h.readAll(r, srv)
	}
	return h.readStream(r, srv)
}

// visible returns the revisions of stream a read may return, honouring
// truncate-before, $maxCount, and the $maxCount=1 of metadata streams.
func visible(stream string, st *streamState) (lo, hi int64) {
	hi = st.last
	if st.meta.tb > lo {
		lo = st.meta.tb
	}
	if st.meta.maxCount > 0 && st.last-st.meta.maxCount+1 > lo {
		lo = st.last - st.meta.maxCount + 1
	}
	if _, ok := metaTarget(stream); ok && st.last > lo {
		lo = st.last
	}
	return lo, hi
}

// A read step holds at most this much before it sends: the Pebble
// iterator is closed before the first Send, so a client that stops reading
// pins no memtables, and memory per reader stays bounded.
const (
	stepEvents = 256
	stepBytes  = 1 << 20
)

// batchOut collects the messages of one read step.
type batchOut struct {
	msgs  []any
	size  int
	limit int // events still wanted
	n     int // events collected
}

func (b *batchOut) reset(limit uint64) {
	clear(b.msgs)
	b.msgs, b.size, b.n = b.msgs[:0], 0, 0
	b.limit = int(min(limit, stepEvents))
}

func (b *batchOut) full() bool { return b.n >= b.limit || b.size >= stepBytes }

func (b *batchOut) addEvent(rec []byte, pos uint64, stringIDs bool) {
	if stringIDs {
		rec = withStringID(rec)
	}
	f := eventFrame(rec, pos)
	b.msgs = append(b.msgs, f)
	b.size += len(f.b)
	b.n++
}

func (b *batchOut) send(srv streams.Streams_ReadServer) error {
	for _, m := range b.msgs {
		if err := srv.SendMsg(m); err != nil {
			return err
		}
	}
	return nil
}

func (h *streamsService) readStream(r *readSpec, srv streams.Streams_ReadServer) error {
	st := h.s.state(r.stream)
	if st != nil && st.tombstoned {
		return streamDeleted(srv, r.stream)
	}
	if !st.exists() {
		return srv.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{StreamNotFound: &streams.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
		}}})
	}
	lo, hi := visible(r.stream, st)
	var from int64
	switch {
	case r.fromStart:
		from = lo
	case r.fromEnd && !r.back:
		return nil
	case r.fromEnd:
		from = hi
	case r.rev > math.MaxInt64:
		from = math.MaxInt64
	default:
		from = int64(r.rev)
	}
	var cutoff int64
	if st.meta.maxAge > 0 {
		cutoff = ticks(h.now().Add(-st.meta.maxAge))
	}
	remaining := r.count
	var out batchOut
	for remaining > 0 {
		out.reset(remaining)
		next, more, err := h.s.scanStream(srv.Context(), r.stream, from, lo, hi, r.back, func(rec []byte, pos uint64) (bool, error) {
			if out.full() {
				return false, nil
			}
			if cutoff > 0 {
				v, err := parseRecord(rec)
				if err != nil {
					return false, err
				}
				if v.created < cutoff {
					return true, nil
				}
			}
			out.addEvent(rec, pos, r.stringIDs)
			return true, nil
		})
		if err != nil {
			return err
		}
		if err := out.send(srv); err != nil {
			return err
		}
		remaining -= uint64(out.n)
		if !more {
			return nil
		}
		from = next
	}
	return nil
}

// scanStream calls fn for the records of stream from revision from, within
// [lo, hi], in the given direction, until fn declines one. It then returns
// that record's revision and more=true.
func (s *store) scanStream(ctx interface{ Err() error }, stream string, from, lo, hi int64, back bool,
	fn func(rec []byte, pos uint64) (bool, error)) (next int64, more bool, err error) {
	if back {
		from = min(from, hi)
		if from < lo {
			return 0, false, nil
		}
	} else {
		from = max(from, lo)
		if from > hi {
			return 0, false, nil
		}
	}
	prefix := appendIndexPrefix(nil, stream)
	lower := binary.BigEndian.AppendUint64(prefix, uint64(lo))
	upper := appendIndexKey(nil, stream, uint64(hi)+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	var ok bool
	if back {
		ok = it.SeekLT(appendIndexKey(nil, stream, uint64(from)+1))
	} else {
		ok = it.SeekGE(appendIndexKey(nil, stream, uint64(from)))
	}
	var k [9]byte
	for ; ok; ok = stepIter(it, back) {
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		v := it.Value()
		key := it.Key()
		if len(v) != 8 || len(key) < 8 {
			return 0, false, errBadRecord
		}
		rev := int64(binary.BigEndian.Uint64(key[len(key)-8:]))
		pos := binary.BigEndian.Uint64(v)
		rec, c, err := s.db.Get(appendAllKey(k[:0], pos))
		if err != nil {
			return 0, false, fmt.Errorf("eventstore: index points at missing position %d: %w", pos, err)
		}
		took, err := fn(rec, pos)
		c.Close()
		if err != nil {
			return 0, false, err
		}
		if !took {
			return rev, true, nil
		}
	}
	return 0, false, it.Error()
}

func stepIter(it *pebble.Iterator, back bool) bool {
	if back {
		return it.Prev()
	}
	return it.Next()
}

func (h *streamsService) readAll(r *readSpec, srv streams.Streams_ReadServer) error {
	head := h.s.head.Load()
	var from uint64
	switch {
	case r.fromStart && !r.back:
		from = 1
	case r.fromStart:
		return nil
	case r.fromEnd && !r.back:
		return nil
	case r.fromEnd:
		from = head
	case r.back:
		// backwards from a position excludes it
		if r.pos == 0 {
			return nil
		}
		from = r.pos - 1
	default:
		from = max(r.pos, 1)
	}
	remaining := r.count
	var out batchOut
	for remaining > 0 {
		out.reset(remaining)
		next, more, err := h.s.scanAll(srv.Context(), from, head, r.back, func(rec []byte, pos uint64) (bool, error) {
			if out.full() {
				return false, nil
			}
			if r.filter != nil {
				v, err := parseRecord(rec)
				if err != nil {
					return false, err
				}
				if !r.filter.match(v) {
					return true, nil
				}
			}
			out.addEvent(rec, pos, r.stringIDs)
			return true, nil
		})
		if err != nil {
			return err
		}
		if err := out.send(srv); err != nil {
			return err
		}
		remaining -= uint64(out.n)
		if !more {
			return nil
		}
		from = next
	}
	return nil
}

// scanAll calls fn for the records of $all from position from (inclusive)
// towards head (forwards) or 1 (backwards) until fn declines one. It then
// returns that record's position and more=true.
func (s *store) scanAll(ctx interface{ Err() error }, from, head uint64, back bool,
	fn func(rec []byte, pos uint64) (bool, error)) (next uint64, more bool, err error) {
	if from == 0 || from > head {
		return 0, false, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: allKey(1), UpperBound: allKey(head + 1)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	var ok bool
	if back {
		ok = it.SeekLT(allKey(from + 1))
	} else {
		ok = it.SeekGE(allKey(from))
	}
	for ; ok; ok = stepIter(it, back) {
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		pos := binary.BigEndian.Uint64(it.Key()[1:])
		took, err := fn(it.Value(), pos)
		if err != nil {
			return 0, false, err
		}
		if !took {
			return pos, true, nil
		}
	}
	return 0, false, it.Error()
}

// filter is a server-side filter of $all on stream names or event types.
type filter struct {
	onType   bool
	prefixes []string
	re       *regexp.Regexp
	interval int // events scanned between checkpoints
}

func newFilter(f *streams.ReadReq_Options_FilterOptions) (*filter, error) {
	var expr *streams.ReadReq_Options_FilterOptions_Expression
	flt := &filter{}
	switch x := f.Filter.(type) {
	case *streams.ReadReq_Options_FilterOptions_StreamIdentifier:
		expr = x.StreamIdentifier
	case *streams.ReadReq_Options_FilterOptions_EventType:
		expr = x.EventType
		flt.onType = true
	default:
		return nil, status.Error(codes.InvalidArgument, "filter needs a stream or event type expression")
	}
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter regex: %v", err)
		}
		flt.re = re
	}
	flt.prefixes = expr.GetPrefix()
	if flt.re == nil && len(flt.prefixes) == 0 {
		return nil, status.Error(codes.InvalidArgument, "filter needs a regex or prefixes")
	}
	window := uint32(32)
	if m, ok := f.Window.(*streams.ReadReq_Options_FilterOptions_Max); ok && m.Max > 0 {
		window = m.Max
	}
	mult := f.GetCheckpointIntervalMultiplier()
	if mult == 0 {
		mult = 1
	}
	flt.interval = int(min(uint64(window)*uint64(mult), math.MaxInt32))
	return flt, nil
}

func (f *filter) match(v recordView) bool {
	s := v.stream
	if f.onType {
		s = v.eventType
	}
	if f.re != nil && !f.re.Match(s) {
		return false
	}
	if len(f.prefixes) == 0 {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(string(s), p) {
			return true
		}
	}
	return false
}

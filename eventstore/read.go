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

func (h *streamsService) sendRecord(srv streams.Streams_ReadServer, rec []byte, pos uint64, stringIDs bool) error {
	if stringIDs {
		rec = withStringID(rec)
	}
	return srv.SendMsg(eventFrame(rec, pos))
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
	case r.fromStart && !r.back:
		from = lo
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
	return h.s.scanStream(srv.Context(), r.stream, from, lo, hi, r.back, r.count, func(rec []byte, pos uint64) (bool, error) {
		if cutoff > 0 {
			v, err := parseRecord(rec)
			if err != nil {
				return false, err
			}
			if v.created < cutoff {
				return false, nil
			}
		}
		return true, h.sendRecord(srv, rec, pos, r.stringIDs)
	})
}

// scanStream calls fn for the records of stream from revision from, within
// [lo, hi], in the given direction, until count records were accepted.
func (s *store) scanStream(ctx interface{ Err() error }, stream string, from, lo, hi int64, back bool, count uint64,
	fn func(rec []byte, pos uint64) (bool, error)) error {
	if back {
		if from > hi {
			from = hi
		}
		if from < lo {
			return nil
		}
	} else {
		if from < lo {
			from = lo
		}
		if from > hi {
			return nil
		}
	}
	lower := appendIndexKey(nil, stream, uint64(lo))
	upper := appendIndexKey(nil, stream, uint64(hi)+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	seek := appendIndexKey(nil, stream, uint64(from))
	var ok bool
	if back {
		ok = it.SeekLT(appendIndexKey(nil, stream, uint64(from)+1))
	} else {
		ok = it.SeekGE(seek)
	}
	var sent uint64
	var k [9]byte
	for ; ok && sent < count; ok = stepIter(it, back) {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := it.Value()
		if len(v) != 8 {
			return errBadRecord
		}
		pos := binary.BigEndian.Uint64(v)
		rec, c, err := s.db.Get(appendAllKey(k[:0], pos))
		if err != nil {
			return fmt.Errorf("eventstore: index points at missing position %d: %w", pos, err)
		}
		took, err := fn(rec, pos)
		c.Close()
		if err != nil {
			return err
		}
		if took {
			sent++
		}
	}
	return it.Error()
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
	var sent uint64
	_, err := h.s.scanAll(srv.Context(), from, head, r.back, func(rec []byte, pos uint64) (bool, error) {
		if sent >= r.count {
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
		sent++
		return true, h.sendRecord(srv, rec, pos, r.stringIDs)
	})
	return err
}

// scanAll calls fn for the records of $all from position from (inclusive)
// towards head (forwards) or 1 (backwards) while fn returns true. It
// returns the last position it passed to fn.
func (s *store) scanAll(ctx interface{ Err() error }, from, head uint64, back bool,
	fn func(rec []byte, pos uint64) (bool, error)) (uint64, error) {
	if from == 0 || from > head {
		return 0, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: allKey(1), UpperBound: allKey(head + 1)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var ok bool
	if back {
		ok = it.SeekLT(allKey(from + 1))
	} else {
		ok = it.SeekGE(allKey(from))
	}
	var last uint64
	for ; ok; ok = stepIter(it, back) {
		if err := ctx.Err(); err != nil {
			return last, err
		}
		pos := binary.BigEndian.Uint64(it.Key()[1:])
		more, err := fn(it.Value(), pos)
		if err != nil {
			return last, err
		}
		if !more {
			break
		}
		last = pos
	}
	return last, it.Error()
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

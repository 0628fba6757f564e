package eventstore

import (
	"math"

	"google.golang.org/grpc"
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

// Read serves plain reads of a stream or $all, and subscriptions.
func (h *streamsService) Read(req []byte, srv grpc.ServerStream) error {
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

func (h *streamsService) readStream(r *readSpec, srv grpc.ServerStream) error {
	st := h.s.state(r.stream)
	if st != nil && st.tombstoned {
		return streamDeleted(srv, r.stream)
	}
	if !st.exists() {
		return srv.SendMsg(streamNotFoundFrame(r.stream))
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
	var out batchOut
	take := func(rec []byte, pos uint64) (bool, error) {
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
	}
	return sendSteps(srv, &out, r.count, from, func(from int64) (int64, bool, error) {
		return h.s.scanStream(srv.Context(), r.stream, from, lo, hi, r.back, take)
	})
}

func (h *streamsService) readAll(r *readSpec, srv grpc.ServerStream) error {
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
	var out batchOut
	take := func(rec []byte, pos uint64) (bool, error) {
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
	}
	return sendSteps(srv, &out, r.count, from, func(from uint64) (uint64, bool, error) {
		return h.s.scanAll(srv.Context(), from, head, r.back, take)
	})
}

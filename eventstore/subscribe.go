package eventstore

import (
	"math"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Subscriptions are pull-based: each one reads the log from its own
// position, and at the head sleeps on the commit signal. Nothing is queued
// per subscriber, so a slow subscriber costs no memory and never slows the
// writer; it only falls behind, held back by gRPC flow control, and catches
// up from storage when it reads again.

var (
	errShutdown = status.Error(codes.Unavailable, "the event store is shutting down")
)

func (h *streamsService) subscribe(r *readSpec, srv grpc.ServerStream) error {
	if r.back {
		return status.Error(codes.InvalidArgument, "subscriptions read forwards")
	}
	if !r.all && r.filter != nil {
		return status.Error(codes.InvalidArgument, "filters apply to $all subscriptions only")
	}
	if r.all {
		return h.subscribeAll(r, srv)
	}
	if st := h.s.state(r.stream); st != nil && st.tombstoned {
		return streamDeleted(srv, r.stream)
	}
	return h.subscribeStream(r, srv)
}

// confirm sends the confirmation. Call it once the start is fixed: the
// client may append the moment it holds the confirmation, and a start
// read after that (from the end) would skip the event.
func confirm(srv grpc.ServerStream) error {
	return srv.SendMsg(confirmFrame(uuid.NewString()))
}

// fellBehindLag is how many events a live subscription may find waiting
// when it wakes before it counts as fallen behind: more than a few read
// steps means it is reading a backlog, not following the head. It then gets
// fell_behind, and caught_up again once it reaches the head.
const fellBehindLag = 4 * stepEvents

// wait sleeps until the next commit, the end of the call or Close.
func (h *streamsService) wait(srv grpc.ServerStream, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-srv.Context().Done():
		return srv.Context().Err()
	case <-h.closing:
		return errShutdown
	}
}

func (h *streamsService) subscribeAll(r *readSpec, srv grpc.ServerStream) error {
	var next uint64 // next position to look at
	switch {
	case r.fromStart:
		next = 1
	case r.fromEnd:
		next = h.s.head.Load() + 1
	default:
		next = r.pos + 1 // subscribing from a position excludes it
	}
	if err := confirm(srv); err != nil {
		return err
	}
	caughtUp := false
	scanned := 0           // events looked at since the last checkpoint
	var lastScanned uint64 // position of the newest event looked at
	var out batchOut
	take := func(rec []byte, pos uint64) (bool, error) {
		if out.full() {
			return false, nil
		}
		lastScanned = pos
		if r.filter == nil {
			out.addEvent(rec, pos, r.stringIDs)
			return true, nil
		}
		scanned++
		v, err := parseRecord(rec)
		if err != nil {
			return false, err
		}
		if r.filter.match(v) {
			out.addEvent(rec, pos, r.stringIDs)
		}
		if scanned >= r.filter.interval {
			scanned = 0
			out.addCheckpoint(pos)
		}
		return true, nil
	}
	for {
		ch := h.s.sig.wait()
		head := h.s.head.Load()
		if next <= head {
			if caughtUp && head-next+1 > fellBehindLag {
				caughtUp = false
				if err := srv.SendMsg(fellBehindFrame(liveMark{at: h.now(), all: true, pos: next - 1})); err != nil {
					return err
				}
			}
			err := sendSteps(srv, &out, math.MaxUint64, next, func(from uint64) (uint64, bool, error) {
				return h.s.scanAll(srv.Context(), from, head, false, take)
			})
			if err != nil {
				return err
			}
			next = head + 1
			continue
		}
		if !caughtUp {
			caughtUp = true
			if r.filter != nil && scanned > 0 {
				scanned = 0
				if err := srv.SendMsg(checkpointFrame(lastScanned)); err != nil {
					return err
				}
			}
			if err := srv.SendMsg(caughtUpFrame(liveMark{at: h.now(), all: true, pos: next - 1})); err != nil {
				return err
			}
		}
		if err := h.wait(srv, ch); err != nil {
			return err
		}
	}
}

func (h *streamsService) subscribeStream(r *readSpec, srv grpc.ServerStream) error {
	var next int64 // next revision to deliver
	switch st := h.s.state(r.stream); {
	case r.fromStart:
		next = 0
	case r.fromEnd:
		if st != nil {
			next = st.last + 1
		}
	case r.rev >= math.MaxInt64:
		next = math.MaxInt64
	default:
		next = int64(r.rev) + 1 // subscribing from a revision excludes it
	}
	if err := confirm(srv); err != nil {
		return err
	}
	caughtUp := false
	var out batchOut
	take := func(rec []byte, pos uint64) (bool, error) {
		if out.full() {
			return false, nil
		}
		out.addEvent(rec, pos, r.stringIDs)
		return true, nil
	}
	for {
		ch := h.s.sig.wait()
		st := h.s.state(r.stream)
		if st != nil && st.tombstoned {
			return streamDeleted(srv, r.stream)
		}
		if st != nil && st.last >= next {
			if caughtUp && st.last-next+1 > fellBehindLag {
				caughtUp = false
				if err := srv.SendMsg(fellBehindFrame(liveMark{at: h.now(), rev: next - 1})); err != nil {
					return err
				}
			}
			lo, hi := visible(r.stream, st)
			err := sendSteps(srv, &out, math.MaxUint64, next, func(from int64) (int64, bool, error) {
				return h.s.scanStream(srv.Context(), r.stream, from, lo, hi, false, take)
			})
			if err != nil {
				return err
			}
			next = st.last + 1
			continue
		}
		if !caughtUp {
			caughtUp = true
			if err := srv.SendMsg(caughtUpFrame(liveMark{at: h.now(), rev: next - 1})); err != nil {
				return err
			}
		}
		if err := h.wait(srv, ch); err != nil {
			return err
		}
	}
}

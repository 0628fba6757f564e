package eventstore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// streamsService implements the Streams gRPC service.
type streamsService struct {
	s         *store
	w         *writer
	log       *slog.Logger
	now       func() time.Time
	closing   <-chan struct{}
	maxAppend int
}

// Append appends the proposed messages that follow the options message.
func (h *streamsService) Append(srv grpc.ServerStream) error {
	var msg rawMsg
	if err := srv.RecvMsg(&msg); err != nil {
		return err
	}
	num, body, err := splitAppendReq(msg.b)
	if err != nil || num != appendOptions {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	stream, exp, err := parseAppendOptions(body)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if stream == "" {
		return status.Error(codes.InvalidArgument, "stream name is empty")
	}
	o := getOp()
	defer putOp(o)
	o.kind, o.stream, o.expect = opAppend, stream, exp
	size := 0
	for {
		var msg rawMsg
		err := srv.RecvMsg(&msg)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		num, body, err := splitAppendReq(msg.b)
		if err != nil || num != appendProposed {
			return status.Error(codes.InvalidArgument, "expected a proposed message")
		}
		var e event
		if err := parseProposed(body, &e); err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		if len(e.eventType) == 0 {
			return status.Error(codes.InvalidArgument, "event type is empty")
		}
		if len(e.contentType) == 0 {
			e.contentType = octetStream
		}
		size += len(e.data) + len(e.customMD) + len(e.eventType)
		if size > h.maxAppend {
			srv.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded",
				"maximum-append-size", strconv.Itoa(h.maxAppend)))
			return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", h.maxAppend)
		}
		o.events = append(o.events, e)
	}
	h.w.submit(o)
	if err := h.opError(srv, o); err != nil {
		return err
	}
	if o.wrong {
		return srv.SendMsg(wrongVersionFrame(o))
	}
	return srv.SendMsg(successFrame(o.current, o.position))
}

// opError turns the writer's failure into the status the client expects.
func (h *streamsService) opError(tr trailerSetter, o *op) error {
	var we *writeError
	switch {
	case o.err == nil:
		return nil
	case errors.Is(o.err, errStreamDeleted):
		return streamDeleted(tr, o.stream)
	case errors.Is(o.err, errClosed):
		return status.Error(codes.Unavailable, "the event store is shutting down")
	case errors.As(o.err, &we):
		// logged once, by the writer
		return status.Error(codes.Unavailable, we.public())
	default:
		h.log.Error("write failed", "stream", o.stream, "err", o.err)
		return status.Error(codes.Internal, "the event store could not write")
	}
}

type trailerSetter interface{ SetTrailer(metadata.MD) }

// ctxTrailer sets trailers of a unary call.
type ctxTrailer struct{ ctx context.Context }

func (c ctxTrailer) SetTrailer(md metadata.MD) { _ = grpc.SetTrailer(c.ctx, md) }

// streamDeleted is EventStoreDB's stream-deleted exception, which the client
// maps to ErrorCodeStreamDeleted through the trailers.
func streamDeleted(tr trailerSetter, stream string) error {
	tr.SetTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
}

// Delete soft-deletes a stream: it reads as not found, and a later append
// continues its revisions.
func (h *streamsService) Delete(ctx context.Context, req []byte) (*frame, error) {
	stream, exp, err := parseDeleteReq(req)
	if err != nil {
		return nil, err
	}
	o, err := h.deleteOp(ctx, opDelete, stream, exp)
	if err != nil {
		return nil, err
	}
	defer putOp(o)
	if o.position == 0 {
		// The client reads the position without checking for no_position.
		o.position = h.s.head.Load()
	}
	return positionFrame(o.position), nil
}

// Tombstone hard-deletes a stream: it can never be read or written again.
func (h *streamsService) Tombstone(ctx context.Context, req []byte) (*frame, error) {
	stream, exp, err := parseDeleteReq(req)
	if err != nil {
		return nil, err
	}
	o, err := h.deleteOp(ctx, opTombstone, stream, exp)
	if err != nil {
		return nil, err
	}
	defer putOp(o)
	return positionFrame(o.position), nil
}

func (h *streamsService) deleteOp(ctx context.Context, kind opKind, stream string, exp expected) (*op, error) {
	o := getOp()
	o.kind, o.stream, o.expect = kind, stream, exp
	h.w.submit(o)
	if err := h.opError(ctxTrailer{ctx}, o); err != nil {
		putOp(o)
		return nil, err
	}
	if o.wrong {
		_ = grpc.SetTrailer(ctx, wrongVersionTrailer(o))
		putOp(o)
		return nil, status.Error(codes.FailedPrecondition, "wrong expected version")
	}
	return o, nil
}

// wrongVersionTrailer is EventStoreDB's wrong-expected-version exception.
func wrongVersionTrailer(o *op) metadata.MD {
	actual := "-1"
	if o.current >= 0 {
		actual = strconv.FormatInt(o.current, 10)
	}
	exp := map[expectKind]string{expectAny: "-2", expectNoStream: "-1", expectExists: "-4"}[o.expect.kind]
	if o.expect.kind == expectRevision {
		exp = strconv.FormatUint(o.expect.rev, 10)
	}
	return metadata.Pairs("exception", "wrong-expected-version", "stream-name", o.stream,
		"actual-version", actual, "expected-version", exp)
}

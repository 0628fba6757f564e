package eventstore

import (
	"context"

	"google.golang.org/grpc"
)

// The gRPC services, described by hand (see pbwire.go for why there is no
// generated code): every request arrives as a rawMsg, every answer leaves
// as a frame. A method missing here (BatchAppend, persistent
// subscriptions, projections) answers Unimplemented.

// streamsServiceName is the Streams service's full name.
const streamsServiceName = "event_store.client.streams.Streams"

func registerServices(s *grpc.Server, h *streamsService, g *gossip) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: streamsServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Delete", Handler: unary(func(ctx context.Context, b []byte) (*frame, error) { return h.Delete(ctx, b) })},
			{MethodName: "Tombstone", Handler: unary(func(ctx context.Context, b []byte) (*frame, error) { return h.Tombstone(ctx, b) })},
		},
		Streams: []grpc.StreamDesc{
			{StreamName: "Read", ServerStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
				var m rawMsg
				if err := ss.RecvMsg(&m); err != nil {
					return err
				}
				return h.Read(m.b, ss)
			}},
			{StreamName: "Append", ClientStreams: true, Handler: func(_ any, ss grpc.ServerStream) error { return h.Append(ss) }},
		},
	}, h)
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "event_store.client.server_features.ServerFeatures",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "GetSupportedMethods", Handler: unary(func(context.Context, []byte) (*frame, error) {
			return supportedMethods(), nil
		})}},
	}, h)
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "event_store.client.gossip.Gossip",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Read", Handler: unary(func(ctx context.Context, _ []byte) (*frame, error) {
			return g.read(ctx), nil
		})}},
	}, g)
}

// unary adapts fn to a gRPC unary handler, honouring an interceptor if the
// server has one.
func unary(fn func(ctx context.Context, req []byte) (*frame, error)) func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
	return func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
		var m rawMsg
		if err := dec(&m); err != nil {
			return nil, err
		}
		call := func(ctx context.Context, req any) (any, error) {
			f, err := fn(ctx, req.(*rawMsg).b)
			if err != nil {
				return nil, err
			}
			return f, nil
		}
		if icpt == nil {
			return call(ctx, &m)
		}
		return icpt(ctx, &m, &grpc.UnaryServerInfo{}, call)
	}
}

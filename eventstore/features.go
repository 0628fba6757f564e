package eventstore

import (
	"context"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
)

// serverVersion is the EventStoreDB version whose protocol surface this
// server follows; the client only parses it.
const serverVersion = "24.10.0"

type features struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

// GetSupportedMethods lists the methods this server really implements.
func (features) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const streams = "event_store.client.streams.streams"
	const sf = "event_store.client.server_features.serverfeatures"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: serverVersion,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: streams, MethodName: "read"},
			{ServiceName: streams, MethodName: "append"},
			{ServiceName: streams, MethodName: "delete"},
			{ServiceName: streams, MethodName: "tombstone"},
			{ServiceName: sf, MethodName: "getsupportedmethods"},
		},
	}, nil
}

package eventstore

import (
	"math"
	"regexp"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

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

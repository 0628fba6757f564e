package eventstore

import (
	"math"
	"regexp"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// ReadReq.Options fields (streams.proto). In a oneof the last case on the
// wire wins, as protobuf decoders do.
const (
	readStream    = 1 // StreamOptions
	readAll       = 2 // AllOptions
	readDirection = 3 // 1: backwards
	readCount     = 5
	readSubscribe = 6 // SubscriptionOptions
	readFilter    = 7 // FilterOptions
	readNoFilter  = 8
	readUUID      = 9 // UUIDOption: 1 structured, 2 string

	// StreamOptions: stream_identifier 1, revision 2, start 3, end 4.
	// AllOptions: position 1, start 2, end 3.
	// FilterOptions: stream_identifier 1 or event_type 2 (Expression:
	// regex 1, repeated prefix 2), max 3 or count 4,
	// checkpointIntervalMultiplier 5.
)

// parseRead decodes a ReadReq. Its errors are gRPC statuses.
func parseRead(b []byte) (*readSpec, error) {
	opts := nestedBytes(b, 1)
	if opts == nil {
		return nil, status.Error(codes.InvalidArgument, "read options are missing")
	}
	r := &readSpec{}
	var where []byte // the options of the stream or $all
	var filterOpts []byte
	haveWhere := false
	err := walk(opts, func(f field) error {
		switch f.n {
		case readStream, readAll:
			r.all, where, haveWhere = f.n == readAll, f.b, true
		case readDirection:
			r.back = f.v == 1
		case readCount:
			r.subscribe, r.count = false, f.v
		case readSubscribe:
			r.subscribe, r.count = true, 0
		case readFilter:
			filterOpts = f.b
			if filterOpts == nil {
				filterOpts = []byte{}
			}
		case readNoFilter:
			filterOpts = nil
		case readUUID:
			r.stringIDs = false
			return walk(f.b, func(u field) error {
				r.stringIDs = u.n == uuidString
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, "malformed read request")
	}
	if !haveWhere {
		return nil, status.Error(codes.InvalidArgument, "read needs a stream or $all")
	}
	if r.all {
		err = parseAllOptions(where, r)
	} else {
		err = parseStreamOptions(where, r)
	}
	if err != nil {
		return nil, err
	}
	if filterOpts != nil {
		flt, err := parseFilter(filterOpts)
		if err != nil {
			return nil, err
		}
		r.filter = flt
	}
	return r, nil
}

func parseStreamOptions(b []byte, r *readSpec) error {
	r.fromStart = true
	err := walk(b, func(f field) error {
		switch f.n {
		case 1:
			r.stream = string(nestedBytes(f.b, streamNameNo))
		case 2:
			r.rev, r.fromStart, r.fromEnd = f.v, false, false
		case 3:
			r.rev, r.fromStart, r.fromEnd = 0, true, false
		case 4:
			r.rev, r.fromStart, r.fromEnd = 0, false, true
		}
		return nil
	})
	if err != nil {
		return status.Error(codes.InvalidArgument, "malformed read request")
	}
	if r.stream == "" {
		return status.Error(codes.InvalidArgument, "stream name is empty")
	}
	return nil
}

func parseAllOptions(b []byte, r *readSpec) error {
	r.fromStart = true
	err := walk(b, func(f field) error {
		switch f.n {
		case 1:
			var pos uint64
			if err := walk(f.b, func(p field) error {
				if p.n == 1 {
					pos = p.v
				}
				return nil
			}); err != nil {
				return err
			}
			r.pos, r.fromStart, r.fromEnd = pos, false, false
		case 2:
			r.pos, r.fromStart, r.fromEnd = 0, true, false
		case 3:
			r.pos, r.fromStart, r.fromEnd = 0, false, true
		}
		return nil
	})
	if err != nil {
		return status.Error(codes.InvalidArgument, "malformed read request")
	}
	return nil
}

// parseFilter decodes ReadReq.Options.FilterOptions.
func parseFilter(b []byte) (*filter, error) {
	flt := &filter{}
	var expr []byte
	haveExpr := false
	window, mult := uint32(32), uint32(0)
	err := walk(b, func(f field) error {
		switch f.n {
		case 1, 2:
			expr, haveExpr, flt.onType = f.b, true, f.n == 2
		case 3:
			window = uint32(f.v)
			if window == 0 {
				window = 32
			}
		case 4:
			window = 32
		case 5:
			mult = uint32(f.v)
		}
		return nil
	})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, "malformed filter")
	}
	if !haveExpr {
		return nil, status.Error(codes.InvalidArgument, "filter needs a stream or event type expression")
	}
	var regex string
	err = walk(expr, func(f field) error {
		switch {
		case f.n == 1 && f.typ == protowire.BytesType:
			regex = string(f.b)
		case f.n == 2 && f.typ == protowire.BytesType:
			flt.prefixes = append(flt.prefixes, string(f.b))
		}
		return nil
	})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, "malformed filter")
	}
	if regex != "" {
		re, err := regexp.Compile(regex)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter regex: %v", err)
		}
		flt.re = re
	}
	if flt.re == nil && len(flt.prefixes) == 0 {
		return nil, status.Error(codes.InvalidArgument, "filter needs a regex or prefixes")
	}
	if mult == 0 {
		mult = 1
	}
	flt.interval = int(min(uint64(window)*uint64(mult), math.MaxInt32))
	return flt, nil
}

// parseDeleteReq decodes a DeleteReq or a TombstoneReq, which have the same
// shape: options{stream_identifier 1, revision 2 | no_stream 3 | any 4 |
// stream_exists 5}.
func parseDeleteReq(b []byte) (string, expected, error) {
	opts := nestedBytes(b, 1)
	var stream string
	exp := expected{kind: expectAny}
	err := walk(opts, func(f field) error {
		switch f.n {
		case 1:
			stream = string(nestedBytes(f.b, streamNameNo))
		case 2:
			exp = expected{kind: expectRevision, rev: f.v}
		case 3:
			exp = expected{kind: expectNoStream}
		case 4:
			exp = expected{kind: expectAny}
		case 5:
			exp = expected{kind: expectExists}
		}
		return nil
	})
	if err != nil {
		return "", exp, status.Error(codes.InvalidArgument, "malformed delete request")
	}
	if stream == "" {
		return "", exp, status.Error(codes.InvalidArgument, "stream name is empty")
	}
	return stream, exp, nil
}

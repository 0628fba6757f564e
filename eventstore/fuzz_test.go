package eventstore

import "testing"

// FuzzWire feeds arbitrary bytes to every hand-written decoder: bad input
// must give an error, never a panic. The seeds under testdata/fuzz/FuzzWire
// run in every test run.
//
//	go test -run '^$' -fuzz FuzzWire -fuzztime 30s ./eventstore/
func FuzzWire(f *testing.F) {
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	f.Add(appendRecord(nil, "s", 1, 2, 3, &event{eventType: []byte("T"), data: []byte("{}")}))
	f.Add([]byte(`{"$maxCount":3,"$tb":2}`))
	f.Add([]byte{0x12, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if num, body, err := splitAppendReq(b); err == nil {
			if num == appendOptions {
				_, _, _ = parseAppendOptions(body)
			} else {
				var e event
				_ = parseProposed(body, &e)
			}
		}
		_, _, _ = parseAppendOptions(b)
		var e event
		_ = parseProposed(b, &e)
		_, _ = wireUUID(b)
		if v, err := parseRecord(b); err == nil {
			_ = v.eventID()
		}
		_ = withStringID(b)
		_ = parseMeta(b)
		_ = encodeMeta(b, 7)
		_, _ = decodeState(b)
		_, _ = parseRead(b)
		_ = parseStreamOptions(b, &readSpec{})
		_ = parseAllOptions(b, &readSpec{})
		_, _, _ = parseDeleteReq(b)
		_, _ = parseFilter(b)
	})
}

package events

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecode feeds stored events of every type with arbitrary data: old
// shapes (fields missing or renamed since) and malformed JSON give an
// event or an error, never a panic; an event that decodes encodes again to
// data that decodes to the same event. The seeds under
// testdata/fuzz/FuzzDecode run in every test run; explore with
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 30s ./domain/events
func FuzzDecode(f *testing.F) {
	for i := range Types() {
		f.Add(uint8(i), []byte(`{}`))
		f.Add(uint8(i), []byte(`null`))
	}
	f.Add(uint8(0), []byte(`{"doctorId":"dr-kim","date":"2026-12-01","opens":"09:00","closes":"18:00","slotMinutes":30,"capacity":1}`))
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		types := Types()
		ty := types[int(typ)%len(types)]
		ev, err := Decode(ty, data)
		_, _, _ = StreamOf(string(data))
		if err != nil {
			return
		}
		again, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("%s %q decoded to %#v, which does not encode: %v", ty, data, ev, err)
		}
		ev2, err := Decode(ty, again)
		if err != nil {
			t.Fatalf("%s: %q re-encoded as %q, which does not decode: %v", ty, data, again, err)
		}
		if third, _ := json.Marshal(ev2); !bytes.Equal(third, again) {
			t.Fatalf("%s: %q -> %q -> %q: the round trip does not settle", ty, data, again, third)
		}
	})
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// requestBodies are the JSON bodies the routes decode, one fresh value of
// each request type.
func requestBodies() []func() any {
	return []func() any{
		func() any { return new(openDayRequest) },
		func() any { return new(placeRequest) },
		func() any { return new(rescheduleRequest) },
		func() any { return new(cancelRequest) },
		func() any { return new(diagnosisRequest) },
		func() any { return new(treatmentsRequest) },
		func() any { return new(prescriptionsRequest) },
		func() any { return new(addendumRequest) },
		func() any { return new(paymentRequest) },
	}
}

// FuzzRequestBodies feeds arbitrary bytes to the one JSON decoder of the
// request bodies, for every request type, without an event store (so it
// runs fast; FuzzCommandRoutes sends bodies through the whole route). A
// body is decoded or refused as a request error with a 4xx, never a panic
// or another error; a decoded body encodes and decodes again to the same
// value. The seeds under testdata/fuzz/FuzzRequestBodies run in every test
// run; explore with
//
//	go test -run '^$' -fuzz FuzzRequestBodies -fuzztime 30s ./httpapi
func FuzzRequestBodies(f *testing.F) {
	gin.SetMode(gin.ReleaseMode)
	for i, seed := range []string{
		`{"opens":"09:00","closes":"18:00","slotMinutes":30,"capacity":1}`,
		`{"customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},"doctorId":"dr-kim","slot":"2026-12-01T10:00:00+09:00","reason":"x"}`,
		`{"slot":"2026-12-01T10:00:00+09:00","doctorId":"dr-lee"}`, `{"reason":"x"}`,
		`{"findings":"a","diagnosis":"b"}`, `{"items":[{"code":"CONSULT","quantity":1}]}`,
		`{"items":[{"drug":"d","dosage":"1","frequency":"f","days":3,"notes":""}]}`, `{"text":"later"}`,
		`{"amount":10000,"currency":"KRW","method":"card","reason":"r"}`,
	} {
		f.Add(uint8(i), []byte(seed))
		f.Add(uint8(i+1), []byte(seed))
	}
	f.Add(uint8(0), []byte(`{"opens":"09:00"} {}`))
	f.Add(uint8(1), []byte(`{"customer":{"name":1}}`))
	f.Add(uint8(8), []byte(`{"amount":1e400}`))
	bodies := requestBodies()
	decode := func(body []byte, v any) error {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("POST", "/", bytes.NewReader(body))
		c.Request.Header.Set("Content-Type", "application/json")
		return decodeJSON(c, v)
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		newReq := bodies[int(kind)%len(bodies)]
		v := newReq()
		err := decode(body, v)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) || re.kind.status < 400 || re.kind.status >= 500 {
				t.Fatalf("%T from %q: %v, want a 4xx request error", v, body, err)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%T from %q does not encode: %v", v, body, err)
		}
		v2 := newReq()
		if err := decode(again, v2); err != nil {
			t.Fatalf("%T: %q re-encoded as %q, which is refused: %v", v, body, again, err)
		}
		if third, _ := json.Marshal(v2); !bytes.Equal(third, again) {
			t.Fatalf("%T: %q -> %q -> %q: the round trip does not settle", v, body, again, third)
		}
	})
}

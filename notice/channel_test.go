package notice

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLogChannelWritesOneLineWithTheNumberMasked(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := NewLogChannel(slog.New(slog.NewJSONHandler(&buf, nil)))
	m := Message{ID: "m1", Kind: KindPlaced, ReservationID: "r1", Locale: Korean, To: "010-1234-5678", Text: "안녕\n하세요"}
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
	if strings.Contains(out, "1234") {
		t.Errorf("log line leaks the phone number: %s", out)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["to"] != "***-****-5678" || line["id"] != "m1" || line["kind"] != "reservation.placed" || line["text"] != "안녕\n하세요" {
		t.Errorf("log line = %v", line)
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
)

// ChangeFeed tells of the read side's commits; *queries.Service is one.
type ChangeFeed interface {
	// NextCommit waits until a live read model committed beyond seen and
	// returns the position of each; nil seen returns them at once.
	NextCommit(ctx context.Context, seen map[string]uint64) (map[string]uint64, error)
}

// DefaultStreamHeartbeat is how often an idle event stream sends a comment,
// so proxies that drop quiet connections keep it, and a dead client is
// noticed by the failed write.
const DefaultStreamHeartbeat = 15 * time.Second

// streamRetry is the reconnection delay the stream asks EventSource for.
const streamRetry = 2 * time.Second

// commitEvent is the data of a stream's "commit" event: read model
// readModel is built up to position, so a read with ?minPosition=position
// sees what changed.
type commitEvent struct {
	ReadModel string `json:"readModel"`
	Position  uint64 `json:"position"`
}

// CloseStreams ends every event stream now and refuses new ones: the HTTP
// server's Shutdown waits for requests to finish, and a stream never would.
// Safe to call more than once.
func (s *Server) CloseStreams() { s.closing.Do(func() { close(s.shutdown) }) }

// eventStream answers GET /api/v1/events/stream: Server-Sent Events, one
// "commit" event per live read model when the stream opens and at each of
// its commits after, a comment every heartbeat while nothing happens. It
// ends when the client goes, the server shuts down, or the read store
// fails (the client reconnects, as EventSource does by itself).
func (s *Server) eventStream(f ChangeFeed) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithCancel(c.Request.Context())
		defer cancel()
		select {
		case <-s.shutdown:
			s.writeError(c, &requestError{kind: kindUnavailable, detail: "the server is shutting down; reconnect to another"})
			return
		default:
		}
		go func() {
			select {
			case <-s.shutdown:
				cancel()
			case <-ctx.Done():
			}
		}()
		seen, err := f.NextCommit(ctx, nil)
		if err != nil {
			s.log.WarnContext(ctx, "event stream: the read store cannot be read", "err", err)
			s.writeError(c, &requestError{kind: kindUnavailable, detail: "the read models cannot be read; try again shortly"})
			return
		}
		w := c.Writer
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Accel-Buffering", "no") // nginx: pass events on at once
		c.Status(http.StatusOK)
		rc := http.NewResponseController(w)
		send := func(text string) error {
			// The server's write timeout is for one answer; a stream lives
			// on, a heartbeat's time at a time. (A recorder in tests cannot
			// take deadlines.)
			_ = rc.SetWriteDeadline(time.Now().Add(2 * s.heartbeat()))
			if _, err := io.WriteString(w, text); err != nil {
				return err
			}
			return rc.Flush()
		}
		if send(fmt.Sprintf("retry: %d\n\n", streamRetry.Milliseconds())+commitEvents(seen, nil)) != nil {
			return
		}
		for {
			wctx, stop := context.WithTimeout(ctx, s.heartbeat())
			now, err := f.NextCommit(wctx, seen)
			stop()
			var text string
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, context.DeadlineExceeded):
				text = ": heartbeat\n\n"
			case err != nil:
				s.log.WarnContext(ctx, "event stream ends: the read store cannot be read", "err", err)
				return
			default:
				text, seen = commitEvents(now, seen), now
			}
			if send(text) != nil {
				return
			}
		}
	}
}

func (s *Server) heartbeat() time.Duration {
	if s.cfg.StreamHeartbeat > 0 {
		return s.cfg.StreamHeartbeat
	}
	return DefaultStreamHeartbeat
}

// commitEvents are the events of the read models in now that moved beyond
// seen, in name order.
func commitEvents(now, seen map[string]uint64) string {
	var out []byte
	for _, name := range slices.Sorted(maps.Keys(now)) {
		if p, ok := seen[name]; ok && now[name] <= p {
			continue
		}
		data, _ := json.Marshal(commitEvent{ReadModel: name, Position: now[name]})
		out = fmt.Appendf(out, "event: commit\ndata: %s\n\n", data)
	}
	return string(out)
}

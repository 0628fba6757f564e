package notice

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Channel delivers one message. A nil error means the receiver has it. An
// error wrapping ErrRejected is permanent; any other error is retried, after
// at least the delay RetryAfter finds in it.
type Channel interface {
	Name() string
	Send(ctx context.Context, m Message) error
}

// RetryAfterError is a temporary failure whose receiver asked to wait.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the failure.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the delay a receiver asked for in err, or 0.
func RetryAfter(err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After
	}
	return 0
}

// LogChannel "delivers" a message by writing one structured log line: the
// channel of the embedded setup, and of a clinic without a gateway yet.
type LogChannel struct {
	log *slog.Logger
}

// NewLogChannel returns a channel that writes to log.
func NewLogChannel(log *slog.Logger) *LogChannel { return &LogChannel{log: log} }

// Name returns "log".
func (c *LogChannel) Name() string { return "log" }

// Send logs m (its phone number masked) and never fails.
func (c *LogChannel) Send(ctx context.Context, m Message) error {
	c.log.LogAttrs(ctx, slog.LevelInfo, "notice",
		slog.String("id", m.ID),
		slog.String("kind", string(m.Kind)),
		slog.String("reservation", m.ReservationID),
		slog.String("locale", string(m.Locale)),
		slog.Any("to", m.To),
		slog.String("text", m.Text),
	)
	return nil
}

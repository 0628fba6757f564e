package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/notice"
)

// Notifications is what the notifications routes need; notice.Records is one.
type Notifications interface {
	List(ctx context.Context, f notice.Filter) ([]notice.Message, error)
	RetryDead(ctx context.Context, f notice.Filter) (int, error)
}

// notificationsRoutes: what the clinic told its customers (the front desk
// and admins read it; admins retry the dead letters).
func (s *Server) notificationsRoutes(g roleGroups, n Notifications) {
	g.notices.GET("/notifications", s.listNotifications(n))
	g.admin.POST("/notifications/retry-dead", s.retryDeadNotifications(n))
}

// AttemptResponse is one delivery attempt of a message.
type AttemptResponse struct {
	At         time.Time `json:"at"`
	Channel    string    `json:"channel"`
	DurationMS float64   `json:"durationMs"`
	Error      string    `json:"error,omitempty"`
}

// NotificationResponse is one message as staff see it: the phone number is
// masked (staff can read it in the reservation; a list of messages need not
// repeat it).
type NotificationResponse struct {
	ID            string            `json:"id"`
	Kind          string            `json:"kind"`
	ReservationID string            `json:"reservationId"`
	Position      uint64            `json:"position,omitempty"`
	Locale        string            `json:"locale"`
	To            string            `json:"to"`
	Text          string            `json:"text"`
	Status        string            `json:"status"`
	Tries         int               `json:"tries"`
	CreatedAt     time.Time         `json:"createdAt"`
	NextAttemptAt *time.Time        `json:"nextAttemptAt,omitempty"`
	SentAt        *time.Time        `json:"sentAt,omitempty"`
	LastError     string            `json:"lastError,omitempty"`
	Attempts      []AttemptResponse `json:"attempts"`
}

// NotificationsResponse is the body of GET /api/v1/notifications.
type NotificationsResponse struct {
	Notifications []NotificationResponse `json:"notifications"`
	Next          string                 `json:"next,omitempty"`
}

func newNotificationResponse(m notice.Message) NotificationResponse {
	r := NotificationResponse{
		ID: m.ID, Kind: string(m.Kind), ReservationID: m.ReservationID, Position: m.Position,
		Locale: string(m.Locale), To: m.To.Masked(), Text: m.Text, Status: string(m.Status), Tries: m.Tries,
		CreatedAt: m.CreatedAt, LastError: m.LastError, Attempts: []AttemptResponse{},
	}
	if m.Status == notice.StatusPending {
		t := m.NextAttemptAt
		r.NextAttemptAt = &t
	}
	if !m.SentAt.IsZero() {
		t := m.SentAt
		r.SentAt = &t
	}
	for _, a := range m.Attempts {
		r.Attempts = append(r.Attempts, AttemptResponse{At: a.At, Channel: a.Channel,
			DurationMS: float64(a.Duration.Microseconds()) / 1000, Error: a.Error})
	}
	return r
}

// notificationFilter reads ?reservationId=&status=; bad values are 422.
// The listing's ?limit= and ?cursor= are its page (pageOf).
func notificationFilter(c *gin.Context, withStatus bool) (notice.Filter, error) {
	var f notice.Filter
	var bad []fieldError
	if v := c.Query("reservationId"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			bad = append(bad, fieldError{Field: "reservationId", Message: "must be a UUID"})
		}
		f.ReservationID = id.String()
	}
	if v := c.Query("status"); v != "" && withStatus {
		switch st := notice.Status(v); st {
		case notice.StatusPending, notice.StatusSent, notice.StatusDead, notice.StatusExpired:
			f.Status = st
		default:
			bad = append(bad, fieldError{Field: "status", Message: "must be pending, sent, dead or expired"})
		}
	}
	if len(bad) > 0 {
		return f, invalid(bad...)
	}
	return f, nil
}

// listNotifications answers GET /api/v1/notifications?reservationId=&status=&limit=&cursor=:
// the messages, newest first, with their attempts, a page at a time.
func (s *Server) listNotifications(n Notifications) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := notificationFilter(c, true)
		if err != nil {
			s.writeError(c, err)
			return
		}
		pg, err := pageOf(c, "notifications|"+f.ReservationID+"|"+string(f.Status))
		if err != nil {
			s.writeError(c, err)
			return
		}
		ms, err := n.List(c.Request.Context(), f)
		if err != nil {
			s.writeError(c, err)
			return
		}
		// Newest first, as the store sorts them (notice.SortNewestFirst).
		ms, next := paginate(ms, pg, func(m notice.Message) string { return sortKey(m.CreatedAt, m.ID) }, true)
		resp := NotificationsResponse{Notifications: make([]NotificationResponse, 0, len(ms)), Next: next}
		for _, m := range ms {
			resp.Notifications = append(resp.Notifications, newNotificationResponse(m))
		}
		respond(c, http.StatusOK, resp)
	}
}

// RetryDeadResponse is the body of POST /api/v1/notifications/retry-dead.
type RetryDeadResponse struct {
	Requeued int `json:"requeued"`
}

// retryDeadNotifications answers POST /api/v1/notifications/retry-dead
// (?reservationId= to limit it to one reservation): every dead message is
// queued again with fresh attempts.
func (s *Server) retryDeadNotifications(n Notifications) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := notificationFilter(c, false)
		if err != nil {
			s.writeError(c, err)
			return
		}
		f.Limit = 0
		count, err := n.RetryDead(c.Request.Context(), f)
		if err != nil {
			s.writeError(c, err)
			return
		}
		respond(c, http.StatusOK, RetryDeadResponse{Requeued: count})
	}
}

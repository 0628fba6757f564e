package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Client calls the API as one caller, with its bearer token. It decodes
// answers into the same response types the handlers write, and error
// answers into a *ProblemError, so the CLIs and the tests share them with
// the server.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client of the API at base (http://host:port) that
// sends token; hc nil means http.DefaultClient.
func NewClient(base, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: hc}
}

// ProblemError is an error answer of the API: its status and the problem
// document the server wrote.
type ProblemError struct {
	StatusCode int
	Problem    problem
}

// Error says what the server answered.
func (e *ProblemError) Error() string {
	msg := fmt.Sprintf("the clinic answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Problem.Title != "" {
		msg += ": " + e.Problem.Title
	}
	if e.Problem.Detail != "" {
		msg += ": " + e.Problem.Detail
	}
	return msg
}

// Type is the problem type URI, for example /problems/unknown-projection.
func (e *ProblemError) Type() string { return e.Problem.Type }

// IsProblem reports whether err is an error answer of problem type slug
// (the end of its type URI, such as "unknown-projection").
func IsProblem(err error, slug string) bool {
	var pe *ProblemError
	return errors.As(err, &pe) && pe.Problem.Type == problemKind{slug: slug}.uri()
}

// maxAnswer bounds an answer the client reads.
const maxAnswer = 64 << 20

// do sends a request and decodes a 2xx JSON answer into out (when not nil).
// It returns a *ProblemError for an error answer, and wraps the transport's
// error (a *url.Error) when no answer came.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("no answer from the clinic at %s (is clinic serve running?): %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return problemError(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: answer: %w", method, path, err)
	}
	return nil
}

// problemError makes the error of an error answer; a body that is not a
// problem document (a proxy's page) keeps its first line as the detail.
func problemError(resp *http.Response, data []byte) error {
	e := &ProblemError{StatusCode: resp.StatusCode}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/problem+json" && json.Unmarshal(data, &e.Problem) == nil {
		return e
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	e.Problem.Detail = line
	return e
}

// NotificationQuery selects messages: by reservation, by state, at most
// Limit of them (0: the server's default page).
type NotificationQuery struct {
	ReservationID string
	Status        string
	Limit         int
}

func (q NotificationQuery) values() url.Values {
	v := url.Values{}
	if q.ReservationID != "" {
		v.Set("reservationId", q.ReservationID)
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	return v
}

// Notifications lists the messages sent to customers, newest first
// (GET /api/v1/notifications), following the pages until it has q.Limit of
// them or the list ends.
func (c *Client) Notifications(ctx context.Context, q NotificationQuery) ([]NotificationResponse, error) {
	var out []NotificationResponse
	err := c.walk(ctx, q.Limit, func(p Page) (string, int, error) {
		r, err := c.NotificationsPage(ctx, q, p)
		out = append(out, r.Notifications...)
		return r.Next, len(r.Notifications), err
	})
	return out, err
}

// NotificationsPage is one page of Notifications.
func (c *Client) NotificationsPage(ctx context.Context, q NotificationQuery, p Page) (NotificationsResponse, error) {
	var out NotificationsResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/notifications", p.values(q.values()), nil, &out)
	return out, err
}

// RetryDeadNotifications queues every dead message again, or only those of
// reservationID when it is not "" (POST /api/v1/notifications/retry-dead).
func (c *Client) RetryDeadNotifications(ctx context.Context, reservationID string) (int, error) {
	var out RetryDeadResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/notifications/retry-dead", NotificationQuery{ReservationID: reservationID}.values(), nil, &out)
	return out.Requeued, err
}

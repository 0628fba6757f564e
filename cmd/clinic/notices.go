package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/mongodb"
	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/docstore"
	"github.com/vetclinic/clinic/notice/webhook"
	"github.com/vetclinic/clinic/projections"
)

// noticeOptions configures the notice role.
type noticeOptions struct {
	notify        string // log or webhook
	webhookURL    string
	webhookSecret string
	locale        notice.Locale
	reminderHour  int
	delivery      notice.DeliveryConfig
	reminderEvery time.Duration
}

// newNoticeChannel returns the configured channel, or an error naming the
// flag that is wrong.
func newNoticeChannel(o noticeOptions, log *slog.Logger) (notice.Channel, error) {
	switch o.notify {
	case "", "log":
		return notice.NewLogChannel(log), nil
	case "webhook":
		if o.webhookURL == "" || o.webhookSecret == "" {
			return nil, fmt.Errorf("--notify webhook needs --webhook-url and --webhook-secret (whsec_...)")
		}
		ch, err := webhook.New(webhook.Config{URL: o.webhookURL, Secret: o.webhookSecret})
		if err != nil {
			return nil, fmt.Errorf("--webhook-url/--webhook-secret: %w", err)
		}
		return ch, nil
	}
	return nil, fmt.Errorf("--notify must be log or webhook, not %q", o.notify)
}

// newNoticeRole builds the notice role on the read store rs and $all.
func newNoticeRole(o noticeOptions, cl *clinic.Clinic, rs projections.Store, src projections.Source, log *slog.Logger) (*docstore.Role, error) {
	log = log.With("component", "notice")
	ch, err := newNoticeChannel(o, log)
	if err != nil {
		return nil, err
	}
	n, err := docstore.NewRole(rs, src, ch, docstore.RoleConfig{
		Notice:   notice.Config{Clinic: cl.Name, Locale: o.locale, ReminderHour: o.reminderHour},
		Delivery: o.delivery, Zone: cl.Location, ReminderEvery: o.reminderEvery, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	log.Info("notices go out through the "+ch.Name()+" channel", "locale", o.locale, "reminderHour", o.reminderHour)
	return n, nil
}

// noticeLocale parses --notify-locale.
func noticeLocale(s string) (notice.Locale, error) {
	switch l := notice.Locale(strings.ToLower(s)); l {
	case "", notice.Korean:
		return notice.Korean, nil
	case notice.English:
		return l, nil
	}
	return "", fmt.Errorf("--notify-locale must be ko or en, not %q", s)
}

// statusOK reports whether an HTTP status is a success.
func statusOK(code int) bool { return code >= http.StatusOK && code < http.StatusMultipleChoices }

// noticesCLI is the configuration of `clinic notices`, parsed once.
type noticesCLI struct {
	action      string
	server      string
	token       string
	data        string
	mongoURL    string
	mongoDB     string
	reservation string
	status      string
	limit       int
	json        bool
}

func parseNotices(args []string, getenv env, stderr io.Writer) (noticesCLI, error) {
	var c noticesCLI
	if len(args) == 0 || (args[0] != "list" && args[0] != "retry-dead") {
		return c, errors.New("notices: usage: clinic notices list|retry-dead [flags]")
	}
	c.action = args[0]
	fs := newFlagSet("notices "+c.action, stderr)
	fs.StringVar(&c.server, "server", "http://127.0.0.1:8080", "the running clinic's HTTP address")
	fs.StringVar(&c.token, "token", "", "a staff bearer token; empty signs one with the data folder's key")
	fs.StringVar(&c.data, "data", "./data", "data folder of the embedded setup (signing key; read store when serve is not running)")
	fs.StringVar(&c.mongoURL, "mongo", "", "read the messages from this MongoDB directly instead of the running clinic")
	fs.StringVar(&c.mongoDB, "mongo-db", "clinic", "MongoDB database of the read models")
	fs.StringVar(&c.reservation, "reservation", "", "only this reservation's messages")
	if c.action == "list" {
		fs.StringVar(&c.status, "status", "", "only messages in this state: pending, sent, dead, expired")
		fs.IntVar(&c.limit, "limit", 100, "at most this many messages, newest first")
		fs.BoolVar(&c.json, "json", false, "print JSON instead of a table")
	}
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("notices: unexpected arguments %q", fs.Args())
	}
	return c, nil
}

// runNotices lists the messages sent to customers, or re-queues the dead
// ones: through the running clinic's API, or straight from the read store
// (--mongo, or the embedded store when no clinic is running on it).
func runNotices(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	c, err := parseNotices(args, getenv, stderr)
	if err != nil {
		return err
	}
	q := url.Values{}
	if c.reservation != "" {
		q.Set("reservationId", c.reservation)
	}
	if c.mongoURL != "" {
		rs, disconnect, err := mongodb.Connect(ctx, c.mongoURL, c.mongoDB)
		if err != nil {
			return fmt.Errorf("notices: %w", err)
		}
		defer disconnect(context.WithoutCancel(ctx))
		return c.direct(ctx, rs, stdout)
	}
	err = c.viaAPI(ctx, q, getenv, stdout)
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		path := filepath.Join(c.data, "read", "read.db")
		if _, statErr := os.Stat(path); statErr != nil {
			return fmt.Errorf("notices: no clinic answers at %s, and there is no read store at %s", c.server, path)
		}
		rs, err := bolt.Open(path, time.Second)
		if err != nil {
			return fmt.Errorf("notices: no clinic answers at %s, and %w", c.server, err)
		}
		defer rs.Close()
		return c.direct(ctx, rs, stdout)
	}
	return err
}

// direct works on the read store itself.
func (c noticesCLI) direct(ctx context.Context, rs projections.Store, stdout io.Writer) error {
	rec := notice.Records{Store: docstore.New(rs), Now: time.Now}
	f := notice.Filter{ReservationID: c.reservation, Status: notice.Status(c.status), Limit: c.limit}
	if c.action == "retry-dead" {
		n, err := rec.RetryDead(ctx, f)
		if err != nil {
			return fmt.Errorf("notices: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "re-queued %d dead messages; a running notice role finds them within a minute\n", n)
		return err
	}
	ms, err := rec.List(ctx, f)
	if err != nil {
		return fmt.Errorf("notices: %w", err)
	}
	rows := make([]noticeRow, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, noticeRow{ID: m.ID, CreatedAt: m.CreatedAt, Status: string(m.Status), Kind: string(m.Kind),
			ReservationID: m.ReservationID, To: m.To.Masked(), Tries: m.Tries, LastError: m.LastError, Text: m.Text})
	}
	return c.print(stdout, rows)
}

// noticeRow is one message as the CLI prints it (the API's fields it needs).
type noticeRow struct {
	ID            string    `json:"id"`
	CreatedAt     time.Time `json:"createdAt"`
	Status        string    `json:"status"`
	Kind          string    `json:"kind"`
	ReservationID string    `json:"reservationId"`
	To            string    `json:"to"`
	Tries         int       `json:"tries"`
	LastError     string    `json:"lastError,omitempty"`
	Text          string    `json:"text"`
}

// viaAPI asks the running clinic.
func (c noticesCLI) viaAPI(ctx context.Context, q url.Values, getenv env, stdout io.Writer) error {
	tok := c.token
	if tok == "" {
		path := auth.KeyPath(c.data)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("notices: no --token, and no signing key at %s to sign one", path)
		}
		key, err := auth.LoadOrCreateKey(path)
		if err != nil {
			return fmt.Errorf("notices: %w", err)
		}
		if tok, err = auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now).Issue("clinic-notices-cli", auth.RoleStaff, 5*time.Minute); err != nil {
			return fmt.Errorf("notices: %w", err)
		}
	}
	method, path := http.MethodGet, "/api/v1/notifications"
	if c.action == "retry-dead" {
		method, path = http.MethodPost, "/api/v1/notifications/retry-dead"
	} else {
		if c.status != "" {
			q.Set("status", c.status)
		}
		q.Set("limit", strconv.Itoa(c.limit))
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.server, "/")+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("notices: --server: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("notices: read answer: %w", err)
	}
	if !statusOK(resp.StatusCode) {
		return fmt.Errorf("notices: the clinic answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if c.action == "retry-dead" {
		var out struct{ Requeued int }
		if err := json.Unmarshal(body, &out); err != nil {
			return fmt.Errorf("notices: answer %q: %w", body, err)
		}
		_, err = fmt.Fprintf(stdout, "re-queued %d dead messages\n", out.Requeued)
		return err
	}
	var out struct{ Notifications []noticeRow }
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("notices: answer: %w", err)
	}
	return c.print(stdout, out.Notifications)
}

func (c noticesCLI) print(stdout io.Writer, rows []noticeRow) error {
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []noticeRow{}
		}
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tSTATUS\tKIND\tRESERVATION\tTO\tTRIES\tLAST ERROR")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.80s\n", r.CreatedAt.UTC().Format(time.RFC3339), r.Status, r.Kind,
			r.ReservationID, r.To, r.Tries, r.LastError)
	}
	return tw.Flush()
}

// startNotice wires the notice role: the subscriber and the dispatcher run
// as one worker on the read store the other roles share, and the staff API
// serves the messages' records.
func startNotice(ctx context.Context, e *serveEnv) error {
	rs, err := e.readStore(ctx)
	if err != nil {
		return err
	}
	locale, err := noticeLocale(e.cfg.notifyLocale)
	if err != nil {
		return err
	}
	if e.cfg.reminderHour < 0 || e.cfg.reminderHour > 23 {
		return fmt.Errorf("--reminder-hour must be 0 to 23, not %d", e.cfg.reminderHour)
	}
	n, err := newNoticeRole(noticeOptions{
		notify: e.cfg.notify, webhookURL: e.cfg.webhookURL, webhookSecret: e.cfg.webhookSecret,
		locale: locale, reminderHour: e.cfg.reminderHour,
	}, e.clinic, rs, projections.ESDBSource{Client: e.esdb}, e.log)
	if err != nil {
		return err
	}
	e.api.Notifications = n.Records()
	e.workers = append(e.workers, worker{name: "notice", run: n.Run})
	return nil
}

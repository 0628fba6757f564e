package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/vetclinic/clinic/httpapi"
)

// noticesCLI is the configuration of `clinic notices`, parsed once.
type noticesCLI struct {
	action      string
	api         apiFlags
	reservation string
	status      string
	limit       int
	json        bool
}

const noticesUsage = `usage: clinic notices <command> [flags]

commands:
  list         messages sent to customers, newest first (--status, --reservation, --limit, --json)
  retry-dead   re-queue the messages that ran out of attempts (--reservation for one visit's)

The commands call the staff routes of a running clinic serve with the notice
role: --server, else CLINIC_SERVER, else the address the serve on --data
(default ./data, or CLINIC_DATA) recorded in its serve.json; --token, else
CLINIC_TOKEN, else a staff token signed with the data folder's key.
'clinic notices <command> -h' lists a command's flags.`

// errNoticesHelp is parseNotices' answer to -h: the usage was printed.
var errNoticesHelp = errors.New("notices: help requested")

func parseNotices(args []string, getenv env, stdout, stderr io.Writer) (noticesCLI, error) {
	var c noticesCLI
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, noticesUsage)
		return c, errNoticesHelp
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "retry-dead") {
		fmt.Fprintln(stderr, noticesUsage)
		return c, errors.New("notices: usage: clinic notices list|retry-dead [flags]")
	}
	c.action = args[0]
	fs := newFlagSet("notices "+c.action, stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, noticesUsage+"\n\nflags of "+c.action+":"); fs.PrintDefaults() }
	c.api.register(fs)
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
// ones, through the running clinic's staff API.
func runNotices(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	c, err := parseNotices(args, getenv, stdout, stderr)
	if errors.Is(err, errNoticesHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cl, err := c.api.client("clinic-notices-cli")
	if err != nil {
		return fmt.Errorf("notices: %w", err)
	}
	if c.action == "retry-dead" {
		n, err := cl.RetryDeadNotifications(ctx, c.reservation)
		if err != nil {
			return fmt.Errorf("notices: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "re-queued %d dead messages\n", n)
		return err
	}
	ms, err := cl.Notifications(ctx, httpapi.NotificationQuery{ReservationID: c.reservation, Status: c.status, Limit: c.limit})
	if err != nil {
		return fmt.Errorf("notices: %w", err)
	}
	rows := make([]noticeRow, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, noticeRow{ID: m.ID, CreatedAt: m.CreatedAt, Status: m.Status, Kind: m.Kind,
			ReservationID: m.ReservationID, To: m.To, Tries: m.Tries, LastError: m.LastError, Text: m.Text})
	}
	return c.print(stdout, rows)
}

// noticeRow is one message as `clinic notices list --json` prints it: the
// API's fields a reader of the list needs.
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

func (c noticesCLI) print(stdout io.Writer, rows []noticeRow) error {
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
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

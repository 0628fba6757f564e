package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/vetclinic/clinic/app"
)

// defaultHealthURL is what the image's HEALTHCHECK probes: the serve
// role's readiness on the port the image listens on.
const defaultHealthURL = "http://127.0.0.1:8080/readyz"

// runHealthcheck asks a running clinic whether it is healthy and returns an
// error unless it answers 2xx in time. The image has no shell and no curl
// (distroless), so its HEALTHCHECK runs this.
func runHealthcheck(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", stderr)
	url := fs.String("url", "", "URL to GET (a clinic's /readyz or /healthz); empty: the /readyz of the clinic serve that --data recorded, else "+defaultHealthURL)
	data := fs.String("data", "", "data folder of the clinic serve to probe, through the address it recorded there (when --url is empty)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected arguments %q", fs.Args())
	}
	if *url == "" {
		*url = defaultHealthURL
		if *data != "" {
			server, err := app.RecordedServer(*data)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			*url = server + "/readyz"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("healthcheck: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintln(stdout, resp.Status)
	return nil
}

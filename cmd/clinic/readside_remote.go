package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/vetclinic/clinic/projections"
)

// remoteAdmin talks to the admin endpoint of a running clinic serve.
type remoteAdmin struct {
	addr  adminAddress
	names []string
	http  *http.Client
}

func dialAdmin(data string) (*remoteAdmin, error) {
	b, err := os.ReadFile(adminFile(data))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no clinic serve with the projector role is running on %s (start one, or pass --esdb and --mongo to work on real servers directly)", data)
	}
	if err != nil {
		return nil, err
	}
	var a adminAddress
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", adminFile(data), err)
	}
	return &remoteAdmin{addr: a, http: &http.Client{}, names: []string{projections.LookupName, projections.LedgerName, projections.AvailabilityName}}, nil
}

func (r *remoteAdmin) Names() []string { return r.names }

func (r *remoteAdmin) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+r.addr.Addr+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.addr.Token)
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach clinic serve's admin endpoint (is it still running?): %w", err)
	}
	return resp, nil
}

func (r *remoteAdmin) call(ctx context.Context, method, path string, out any) error {
	resp, err := r.do(ctx, method, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		b, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("admin endpoint: %s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (r *remoteAdmin) Status(ctx context.Context) ([]projectionStatus, error) {
	var out []projectionStatus
	err := r.call(ctx, "GET", "/status", &out)
	return out, err
}

func (r *remoteAdmin) Parked(ctx context.Context, name string) ([]projections.Parked, error) {
	var out []projections.Parked
	err := r.call(ctx, "GET", "/parked?name="+name, &out)
	return out, err
}

func (r *remoteAdmin) ReplayParked(ctx context.Context, name string) (int, error) {
	var out struct{ Replayed int }
	err := r.call(ctx, "POST", "/replay?name="+name, &out)
	return out.Replayed, err
}

func (r *remoteAdmin) Rebuild(ctx context.Context, name string, report func(projections.Progress)) error {
	resp, err := r.do(ctx, "POST", "/rebuild?name="+name)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin endpoint: %s", resp.Status)
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var l rebuildLine
		if err := dec.Decode(&l); err != nil {
			return fmt.Errorf("rebuild %s: the serving process stopped answering: %w", name, err)
		}
		switch {
		case l.Progress != nil:
			report(*l.Progress)
		case l.Error != "":
			if l.Busy {
				return fmt.Errorf("%s: %w", l.Error, projections.ErrRebuildRunning)
			}
			return errors.New(l.Error)
		case l.Done:
			return nil
		}
	}
}

package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"github.com/vetclinic/clinic/bolt"
)

// RecordFile is where a running clinic serve records the address of its
// HTTP API, so the CLIs on the same data folder find it without --server.
// Serve removes it when it stops cleanly; after a crash it stays and the
// CLIs report that nothing answers there.
func RecordFile(data string) string { return filepath.Join(data, "serve.json") }

// serveRecord is the content of RecordFile.
type serveRecord struct {
	URL string `json:"url"` // http://host:port of the API
	PID int    `json:"pid"`
}

// recordServe writes the API's address (ln's) into the data folder and
// returns the function that removes it again.
func recordServe(data string, addr net.Addr) (remove func(), err error) {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("record address: %w", err)
	}
	b, _ := json.Marshal(serveRecord{URL: "http://" + dialable(addr), PID: os.Getpid()})
	b = append(b, '\n')
	path := RecordFile(data)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("record address: %w", err)
	}
	// A second serve on the same folder may have recorded itself since:
	// remove only our own record.
	return func() {
		if now, err := os.ReadFile(path); err == nil && bytes.Equal(now, b) {
			os.Remove(path)
		}
	}, nil
}

// dialable is addr with an unspecified host (0.0.0.0, ::) replaced by
// loopback: a listen address is not always one a client can dial.
func dialable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// RecordedServer returns the API address the clinic serve on data
// recorded, or an error saying that none is running there.
func RecordedServer(data string) (string, error) {
	b, err := os.ReadFile(RecordFile(data))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no clinic serve is running on the data folder %s (give --server or CLINIC_SERVER, or --data of the running one)", data)
	}
	if err != nil {
		return "", err
	}
	var r serveRecord
	if err := json.Unmarshal(b, &r); err != nil || r.URL == "" {
		return "", fmt.Errorf("%s: not an address record: %v", RecordFile(data), err)
	}
	return r.URL, nil
}

// dataInUse returns, when err is a store's refusal to open because another
// process holds its lock (the embedded event store's, the read store's),
// an error that says the data folder is in use and by whom, as far as its
// RecordFile tells; otherwise nil.
func dataInUse(data string, err error) error {
	if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, bolt.ErrLocked) {
		return nil
	}
	who := ""
	if b, rerr := os.ReadFile(RecordFile(data)); rerr == nil {
		var r serveRecord
		if json.Unmarshal(b, &r) == nil && r.URL != "" {
			who = fmt.Sprintf(" (pid %d, serving %s)", r.PID, r.URL)
		}
	}
	return fmt.Errorf("the data folder %s is in use by another clinic process%s: stop it first, or give this one another --data", data, who)
}

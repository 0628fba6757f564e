package app

import (
	"fmt"
	"net"
	"strings"

	"github.com/vetclinic/clinic/statuslink"
)

// statusLinks returns the signer of the customers' status links, made once
// for the roles that need it: the notice role puts links in messages, the
// query role checks them. The key is StatusLinkKey (a Secret in production,
// the same for every process) or else the data folder's, created on first
// use; the links start with PublicURL.
func (e *serveEnv) statusLinks() (*statuslink.Signer, error) {
	if e.links != nil {
		return e.links, nil
	}
	var (
		key []byte
		err error
	)
	if e.cfg.StatusLinkKey != "" {
		if key, err = statuslink.ParseKey(e.cfg.StatusLinkKey); err != nil {
			return nil, fmt.Errorf("--status-link-key: %w", err)
		}
	} else {
		path := statuslink.KeyPath(e.cfg.Data)
		if key, err = statuslink.LoadOrCreateKey(path); err != nil {
			return nil, err
		}
		e.log.Info("status links are signed with the data folder's key; give every process the same --status-link-key when they do not share the folder", "key", path)
	}
	base := PublicURL(e.cfg.PublicURL, e.cfg.Listen)
	if e.links, err = statuslink.New(key, base); err != nil {
		return nil, fmt.Errorf("--public-url: %w", err)
	}
	return e.links, nil
}

// PublicURL is the base URL people reach the clinic at: public when set,
// else http://<listen address>, with a wildcard host read as loopback.
func PublicURL(public, listen string) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

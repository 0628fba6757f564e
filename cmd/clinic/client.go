package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/vetclinic/clinic/app"
	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/httpapi"
)

// apiFlags are how a CLI reaches the running clinic's API. With their
// CLINIC_* fallbacks the server is --server, else CLINIC_SERVER, else the
// address the clinic serve on --data recorded; the token is --token, else
// CLINIC_TOKEN, else one signed with the data folder's key (the embedded
// setup's, as `clinic token` does) for the staff role.
type apiFlags struct {
	server string
	token  string
	data   string
}

func (f *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.server, "server", "", "the clinic's HTTP API (http://host:port); empty uses the address the clinic serve on --data recorded")
	fs.StringVar(&f.token, "token", "", "a staff bearer token; empty signs one with the data folder's key")
	fs.StringVar(&f.data, "data", "./data", "data folder of the running clinic serve (its recorded address and signing key)")
}

// cliTokenTTL is how long a token the CLI signs for itself is valid: one
// command (a rebuild may take a while).
const cliTokenTTL = time.Hour

// client returns a client of the API for the subject who (the CLI's name).
func (f apiFlags) client(who string) (*httpapi.Client, error) {
	server := f.server
	if server == "" {
		var err error
		if server, err = app.RecordedServer(f.data); err != nil {
			return nil, err
		}
	}
	if u, err := url.Parse(server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want http://host:port", server)
	}
	tok := f.token
	if tok == "" {
		path := auth.KeyPath(f.data)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no --token, and no signing key at %s to sign one", path)
		}
		key, err := auth.LoadOrCreateKey(path)
		if err != nil {
			return nil, err
		}
		if tok, err = auth.NewIssuer(key, auth.DefaultIssuer, auth.DefaultAudience, time.Now).Issue(who, auth.RoleStaff, cliTokenTTL); err != nil {
			return nil, err
		}
	}
	return httpapi.NewClient(server, tok, nil), nil
}

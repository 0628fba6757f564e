package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vetclinic/clinic/httpapi"
)

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("clinic "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envName is the environment fallback for a flag: --webhook-url -> CLINIC_WEBHOOK_URL.
func envName(flagName string) string {
	return "CLINIC_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag that was not given on the command line from its
// CLINIC_* environment variable, so flags always win over the environment.
func applyEnv(fs *flag.FlagSet, getenv env) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// parseFlags parses args and then the environment fallbacks.
func parseFlags(fs *flag.FlagSet, args []string, getenv env) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	return applyEnv(fs, getenv)
}

// originList is a repeatable flag of web origins, each given alone or
// several separated by commas (as an environment variable gives them).
type originList []string

func (l *originList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

// Set adds the comma-separated origins of v, refusing one that is not
// scheme://host[:port].
func (l *originList) Set(v string) error {
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		if err := httpapi.ValidOrigin(o); err != nil {
			return fmt.Errorf("%q: %w", o, err)
		}
		if !slices.Contains(*l, o) {
			*l = append(*l, o)
		}
	}
	return nil
}

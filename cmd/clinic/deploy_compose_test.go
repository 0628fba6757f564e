package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vetclinic/clinic/auth"
)

// flagRE finds the flags in a flag set's usage (flag.PrintDefaults).
var flagRE = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)

// flagEnv returns the CLINIC_* variables of a command's real flags (from
// its -h usage), by variable, with the flag each falls back for.
func flagEnv(t *testing.T, cmd ...string) map[string]string {
	t.Helper()
	var usage bytes.Buffer
	_ = run(context.Background(), append(cmd, "-h"), noEnv, io.Discard, &usage)
	out := map[string]string{}
	for _, m := range flagRE.FindAllStringSubmatch(usage.String(), -1) {
		out[envName(m[1])] = m[1]
	}
	if len(out) == 0 {
		t.Fatalf("%v -h lists no flags:\n%s", cmd, usage.String())
	}
	return out
}

// checkServeEnv checks that env configures `clinic serve` with args for
// role: only CLINIC_* variables of real flags, parsed without error, with
// the listen port the image exposes. It returns the parsed configuration.
func checkServeEnv(t *testing.T, where string, args []string, env map[string]string, role, port string) serveConfig {
	t.Helper()
	flags := flagEnv(t, "serve")
	for k := range env {
		if _, ok := flags[k]; !ok {
			t.Errorf("%s: %s is not the fallback of any `clinic serve` flag", where, k)
		}
	}
	cfg, err := parseServe(args, func(k string) string { return composeDefault(env[k]) }, io.Discard)
	if err != nil {
		t.Fatalf("%s: clinic serve %v with its environment: %v", where, args, err)
	}
	if role != "" && !slices.Equal(cfg.Roles, []string{role}) {
		t.Errorf("%s: roles %v, want [%s]", where, cfg.Roles, role)
	}
	if _, p, err := net.SplitHostPort(cfg.Listen); err != nil || p != port {
		t.Errorf("%s: listens on %q, want port %s", where, cfg.Listen, port)
	}
	return cfg
}

var composeVar = regexp.MustCompile(`\$\{(\w+)(:?-([^}]*))?\}`)

// composeDefault is v as Compose runs it when the variables it names are
// not set: ${NAME:-default} becomes default, ${NAME} nothing.
func composeDefault(v string) string {
	return composeVar.ReplaceAllString(v, "$3")
}

// checkHealthcheck checks that args (after the binary) is a healthcheck
// with real flags probing path on port.
func checkHealthcheck(t *testing.T, where string, args []string, path, port string) {
	t.Helper()
	if len(args) == 0 || args[0] != "healthcheck" {
		t.Fatalf("%s: health check %v does not run `clinic healthcheck`", where, args)
	}
	flags := flagEnv(t, "healthcheck")
	for i, a := range args[1:] {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			if _, ok := flags[envName(name)]; !ok {
				t.Errorf("%s: healthcheck has no flag --%s", where, name)
			}
			if name == "url" && i+2 < len(args) {
				if u := args[i+2]; !strings.HasSuffix(u, ":"+port+path) {
					t.Errorf("%s: healthcheck probes %s, want port %s path %s", where, u, port, path)
				}
			}
		}
	}
}

// composeFile is the part of the Compose specification docker-compose.yml
// uses; a field it does not name fails the decoding.
type composeFile struct {
	XClinic    any                       `yaml:"x-clinic"`
	XClinicEnv any                       `yaml:"x-clinic-env"`
	XReadEnv   any                       `yaml:"x-read-env"`
	Services   map[string]composeService `yaml:"services"`
	Volumes    map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string            `yaml:"image"`
	Build           string            `yaml:"build"`
	Restart         string            `yaml:"restart"`
	Profiles        []string          `yaml:"profiles"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	Ports           []string          `yaml:"ports"`
	Expose          []string          `yaml:"expose"`
	Volumes         []string          `yaml:"volumes"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Healthcheck     *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// TestComposeRunsEveryRoleFromTheImage: docker-compose.yml runs each role
// as a service of its own from the one image, configured only through
// CLINIC_* variables of the binary's real flags, with health checks the
// binary answers and a start order that waits for them.
func TestComposeRunsEveryRoleFromTheImage(t *testing.T) {
	t.Parallel()
	var f composeFile
	decodeYAML(t, "docker-compose.yml", repoFile(t, "docker-compose.yml"), &f)
	roles := map[string]bool{}
	for name, s := range f.Services {
		where := "service " + name
		if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 {
			t.Errorf("%s has no health check", where)
		}
		for dep, d := range s.DependsOn {
			if d.Condition != "service_healthy" {
				t.Errorf("%s waits for %s with %q, want service_healthy", where, dep, d.Condition)
			}
			if ds, ok := f.Services[dep]; !ok || ds.Healthcheck == nil {
				t.Errorf("%s depends on %s, which is missing or has no health check", where, dep)
			}
		}
		if !strings.HasPrefix(s.Image, "vetclinic/clinic:") {
			continue
		}
		roles[name] = true
		if s.Build != "." {
			t.Errorf("%s: build %q, want the repository's Dockerfile (.)", where, s.Build)
		}
		if len(s.Command) == 0 || s.Command[0] != "serve" {
			t.Fatalf("%s: command %v, want serve", where, s.Command)
		}
		if !slices.Equal(s.Expose, []string{"8080"}) || len(s.Ports) != 0 {
			t.Errorf("%s: expose %v ports %v: the roles are reached through the gateway on 8080", where, s.Expose, s.Ports)
		}
		cfg := checkServeEnv(t, where, s.Command[1:], s.Environment, name, "8080")
		if cfg.ESDBURL == "" {
			t.Errorf("%s runs the embedded event store: each role would have its own", where)
		}
		if name != "command" && cfg.MongoURL == "" {
			t.Errorf("%s keeps its read models in its own embedded store", where)
		}
		if d, ok := s.DependsOn["eventstore"]; !ok || d.Condition != "service_healthy" {
			t.Errorf("%s does not wait for the event store", where)
		}
		checkHealthcheck(t, where, s.Healthcheck.Test[2:], "/readyz", "8080")
		if s.Healthcheck.Test[0] != "CMD" || s.Healthcheck.Test[1] != "/clinic" {
			t.Errorf("%s: health check %v must exec the binary (the image has no shell)", where, s.Healthcheck.Test)
		}
	}
	for _, r := range []string{"command", "query", "projector", "notice"} {
		if !roles[r] {
			t.Errorf("no %s service runs the clinic image", r)
		}
	}
	g, ok := f.Services["gateway"]
	if !ok || !slices.Contains(g.Ports, "127.0.0.1:8080:8080") {
		t.Errorf("the gateway does not publish 127.0.0.1:8080: %+v", g)
	}
	for r := range roles {
		if _, ok := g.DependsOn[r]; !ok {
			t.Errorf("the gateway does not wait for %s", r)
		}
	}
}

// TestKeycloakRealmHasTheClinicsRoles: the sso profile's Keycloak imports a
// realm whose realm roles are the API's staff roles, with a console client
// on the code flow with PKCE and no secret, a scripts client on client
// credentials, both putting the API's audience in their access tokens, and
// example users whose roles the API knows. Its secrets are placeholders
// that Keycloak fills from the environment, never values in the file. The
// clinic services verify those tokens when CLINIC_OIDC_ISSUER names the
// realm, and the data folder's tokens otherwise.
func TestKeycloakRealmHasTheClinicsRoles(t *testing.T) {
	t.Parallel()
	var realm struct {
		Realm string `json:"realm"`
		Roles struct {
			Realm []struct {
				Name string `json:"name"`
			} `json:"realm"`
		} `json:"roles"`
		Clients []struct {
			ClientID               string            `json:"clientId"`
			PublicClient           bool              `json:"publicClient"`
			StandardFlowEnabled    bool              `json:"standardFlowEnabled"`
			ServiceAccountsEnabled bool              `json:"serviceAccountsEnabled"`
			ImplicitFlowEnabled    bool              `json:"implicitFlowEnabled"`
			Secret                 string            `json:"secret"`
			Attributes             map[string]string `json:"attributes"`
			ProtocolMappers        []struct {
				ProtocolMapper string            `json:"protocolMapper"`
				Config         map[string]string `json:"config"`
			} `json:"protocolMappers"`
		} `json:"clients"`
		Users []struct {
			Username    string   `json:"username"`
			RealmRoles  []string `json:"realmRoles"`
			Credentials []struct {
				Value     string `json:"value"`
				Temporary bool   `json:"temporary"`
			} `json:"credentials"`
		} `json:"users"`
	}
	if err := json.Unmarshal(repoFile(t, "deploy/keycloak/clinic-realm.json"), &realm); err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, r := range realm.Roles.Realm {
		roles = append(roles, r.Name)
	}
	if !slices.Equal(slices.Sorted(slices.Values(roles)), slices.Sorted(slices.Values(auth.StaffRoles))) {
		t.Errorf("realm roles %v, the API's staff roles %v", roles, auth.StaffRoles)
	}
	placeholder := regexp.MustCompile(`^\$\{[A-Z_]+\}$`)
	clients := map[string]bool{}
	for _, c := range realm.Clients {
		clients[c.ClientID] = true
		audience := false
		for _, m := range c.ProtocolMappers {
			audience = audience || (m.ProtocolMapper == "oidc-audience-mapper" && m.Config["included.custom.audience"] == auth.DefaultAudience && m.Config["access.token.claim"] == "true")
		}
		if !audience {
			t.Errorf("client %s does not put %s in its access tokens' aud", c.ClientID, auth.DefaultAudience)
		}
		if c.ImplicitFlowEnabled {
			t.Errorf("client %s allows the implicit flow", c.ClientID)
		}
		switch c.ClientID {
		case "clinic-console":
			if !c.PublicClient || !c.StandardFlowEnabled || c.Attributes["pkce.code.challenge.method"] != "S256" || c.Secret != "" {
				t.Errorf("the console client is not a public code-flow client with PKCE S256: %+v", c)
			}
		case "clinic-scripts":
			if c.PublicClient || !c.ServiceAccountsEnabled || c.StandardFlowEnabled || !placeholder.MatchString(c.Secret) {
				t.Errorf("the scripts client is not a confidential client-credentials client with its secret from the environment: %+v", c)
			}
		}
	}
	if !clients["clinic-console"] || !clients["clinic-scripts"] {
		t.Errorf("clients %v, want clinic-console and clinic-scripts", clients)
	}
	people := 0
	for _, u := range realm.Users {
		for _, r := range u.RealmRoles {
			if !slices.Contains(auth.StaffRoles, r) {
				t.Errorf("user %s has the role %q, which the API does not know", u.Username, r)
			}
		}
		for _, c := range u.Credentials {
			if !placeholder.MatchString(c.Value) || !c.Temporary {
				t.Errorf("user %s has a password in the file, or one that need not be changed", u.Username)
			}
		}
		if len(u.Credentials) > 0 {
			people++
		}
	}
	if people < 2 {
		t.Errorf("%d example staff users, want two", people)
	}

	var f composeFile
	decodeYAML(t, "docker-compose.yml", repoFile(t, "docker-compose.yml"), &f)
	kc, ok := f.Services["keycloak"]
	if !ok || !slices.Equal(kc.Profiles, []string{"sso"}) || !slices.Contains(kc.Command, "--import-realm") ||
		!slices.Contains(kc.Volumes, "./deploy/keycloak:/opt/keycloak/data/import:ro") {
		t.Fatalf("no keycloak service in the sso profile importing deploy/keycloak: %+v", kc)
	}
	for _, name := range []string{"SCRIPTS_CLIENT_SECRET", "DEMO_USER_PASSWORD"} {
		if v := kc.Environment[name]; composeDefault(v) != "" || v == "" {
			t.Errorf("keycloak: %s=%q; it must come from the environment, with no value in the file", name, v)
		}
	}
	for name, s := range f.Services {
		if !strings.HasPrefix(s.Image, "vetclinic/clinic:") {
			continue
		}
		if _, ok := s.DependsOn["keycloak"]; ok {
			t.Errorf("%s waits for keycloak, which runs only in the sso profile", name)
		}
		issuer := s.Environment["CLINIC_OIDC_ISSUER"]
		if composeDefault(issuer) != "" {
			t.Errorf("%s: CLINIC_OIDC_ISSUER defaults to %q; without the sso profile it must be empty", name, issuer)
		}
		cfg, err := parseServe(s.Command[1:], func(k string) string {
			if k == "CLINIC_OIDC_ISSUER" {
				return "http://keycloak:8081/realms/" + realm.Realm
			}
			return composeDefault(s.Environment[k])
		}, io.Discard)
		if err != nil || cfg.OIDCIssuer != "http://keycloak:8081/realms/clinic" || cfg.Issuer != cfg.OIDCIssuer {
			t.Errorf("%s with the sso profile's issuer: %+v %v", name, cfg.Config, err)
		}
	}
}

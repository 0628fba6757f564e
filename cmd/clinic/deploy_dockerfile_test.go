package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// instruction is one Dockerfile instruction: its name, flags and arguments.
type instruction struct {
	name  string
	flags []string
	args  []string
	line  string
}

func parseDockerfile(t *testing.T) []instruction {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(repoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	for _, n := range res.AST.Children {
		in := instruction{name: strings.ToUpper(n.Value), flags: n.Flags, line: n.Original}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		out = append(out, in)
	}
	return out
}

// TestDockerfile: a multi-stage build of a static binary into a small
// image that runs as a non-root user, configured through CLINIC_*
// variables of real flags, probing itself with `clinic healthcheck`, and
// stopped by the signal serve shuts down on.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	ins := parseDockerfile(t)
	var froms []instruction
	final := map[string][]instruction{} // instructions of the last stage
	for _, in := range ins {
		if in.name == "FROM" {
			froms = append(froms, in)
			final = map[string][]instruction{}
		}
		final[in.name] = append(final[in.name], in)
	}
	if len(froms) < 2 {
		t.Fatalf("%d stages: want a build stage and a runtime stage", len(froms))
	}
	if img := froms[len(froms)-1].args[0]; !strings.Contains(img, "distroless/static") || !strings.HasSuffix(img, ":nonroot") {
		t.Errorf("runtime image %s: want a distroless static nonroot image", img)
	}
	static := false
	for _, in := range ins {
		if in.name == "RUN" && strings.Contains(in.line, "CGO_ENABLED=0") && strings.Contains(in.line, "go build") && strings.Contains(in.line, "./cmd/clinic") {
			static = true
		}
	}
	if !static {
		t.Error("no RUN builds ./cmd/clinic with CGO_ENABLED=0")
	}
	one := func(name string) instruction {
		t.Helper()
		if len(final[name]) != 1 {
			t.Fatalf("the runtime stage has %d %s, want 1", len(final[name]), name)
		}
		return final[name][0]
	}
	if u := one("USER").args[0]; strings.HasPrefix(u, "0") || strings.HasPrefix(u, "root") {
		t.Errorf("USER %s runs as root", u)
	}
	if s := one("STOPSIGNAL").args[0]; s != "SIGTERM" {
		t.Errorf("STOPSIGNAL %s: serve shuts down gracefully on SIGTERM (main.go)", s)
	}
	ep := one("ENTRYPOINT").args
	if len(ep) != 1 || ep[0] != "/clinic" {
		t.Errorf("ENTRYPOINT %v, want [/clinic]", ep)
	}
	if c := one("CMD").args; len(c) == 0 || c[0] != "serve" {
		t.Errorf("CMD %v, want serve", c)
	}
	env := map[string]string{}
	for _, in := range final["ENV"] {
		// The parser gives each variable as name, value, separator.
		for i := 0; i+1 < len(in.args); i += 3 {
			env[in.args[i]] = in.args[i+1]
		}
	}
	port := one("EXPOSE").args[0]
	checkServeEnv(t, "Dockerfile ENV", nil, env, "", port)
	hc := one("HEALTHCHECK")
	if len(hc.args) < 3 || hc.args[0] != "CMD" || hc.args[1] != "/clinic" {
		t.Fatalf("HEALTHCHECK %v: want CMD /clinic healthcheck ... (no shell in the image)", hc.args)
	}
	checkHealthcheck(t, "HEALTHCHECK", hc.args[2:], "/readyz", port)
}

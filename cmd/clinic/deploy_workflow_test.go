package main

import (
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// workflowPath is the repository's pipeline.
const workflowPath = ".github/workflows/ci.yml"

// TestWorkflowLints lints the pipeline with actionlint, as its CLI does
// (with shellcheck on the run scripts when it is installed): syntax, the
// expressions and their contexts, the actions' inputs, job dependencies.
func TestWorkflowLints(t *testing.T) {
	t.Parallel()
	opts := &actionlint.LinterOptions{LogWriter: io.Discard, Color: actionlint.ColorOptionKindNever, WorkingDir: filepath.Join("..", "..")}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	}
	l, err := actionlint.NewLinter(io.Discard, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(workflowPath, repoFile(t, workflowPath), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", workflowPath, e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestWorkflowLintCatchesMistakes: the lint fails a workflow with an
// unknown context and a job that needs a missing one, so its passing means
// something.
func TestWorkflowLintCatchesMistakes(t *testing.T) {
	t.Parallel()
	bad := []byte("on: push\njobs:\n  a:\n    needs: [nope]\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.refx }}\n")
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint("bad.yml", bad, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) < 2 {
		t.Errorf("actionlint found %d mistakes in a workflow with two: %v", len(errs), errs)
	}
}

// TestWorkflowDoesTheJob: the pipeline runs .ci/run on every push and pull
// request, renders both kustomizations, and on a version tag only, after
// both, builds and pushes the image to the GitHub Container Registry with
// the one permission that needs.
func TestWorkflowDoesTheJob(t *testing.T) {
	t.Parallel()
	wf, errs := actionlint.Parse(repoFile(t, workflowPath))
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs)
	}
	var tags []string
	events := map[string]bool{}
	for _, ev := range wf.On {
		if w, ok := ev.(*actionlint.WebhookEvent); ok {
			events[w.Hook.Value] = true
			if w.Hook.Value == "push" && w.Tags != nil {
				for _, v := range w.Tags.Values {
					tags = append(tags, v.Value)
				}
			}
		}
	}
	if !events["push"] || !events["pull_request"] || !slices.Contains(tags, "v*") {
		t.Errorf("triggers %v, tags %v: want push (with v* tags) and pull_request", events, tags)
	}
	runs := func(j *actionlint.Job) (scripts, uses []string) {
		for _, s := range j.Steps {
			switch e := s.Exec.(type) {
			case *actionlint.ExecRun:
				scripts = append(scripts, e.Run.Value)
			case *actionlint.ExecAction:
				uses = append(uses, e.Uses.Value)
			}
		}
		return scripts, uses
	}
	has := func(list []string, sub string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
	}
	var ciJob, renderJob, imageJob string
	for id, j := range wf.Jobs {
		scripts, uses := runs(j)
		switch {
		case has(scripts, ".ci/run"):
			ciJob = id
			if j.If != nil {
				t.Errorf("job %s runs .ci/run only if %s", id, j.If.Value)
			}
		case has(scripts, "kustomize deploy/k8s/overlays/production") && has(scripts, "kustomize deploy/k8s/base"):
			renderJob = id
		case has(uses, "docker/build-push-action"):
			imageJob = id
			if j.If == nil || !strings.Contains(j.If.Value, "refs/tags/v") {
				t.Errorf("job %s pushes the image on every run, want version tags only", id)
			}
			if j.Permissions == nil || j.Permissions.Scopes["packages"] == nil || j.Permissions.Scopes["packages"].Value.Value != "write" {
				t.Errorf("job %s cannot push packages", id)
			}
			if !has(uses, "docker/login-action") {
				t.Errorf("job %s does not log in to the registry", id)
			}
		}
	}
	if ciJob == "" || renderJob == "" || imageJob == "" {
		t.Fatalf("jobs: .ci/run %q, render %q, image %q", ciJob, renderJob, imageJob)
	}
	var needs []string
	for _, n := range wf.Jobs[imageJob].Needs {
		needs = append(needs, n.Value)
	}
	if !slices.Contains(needs, ciJob) || !slices.Contains(needs, renderJob) {
		t.Errorf("the image job needs %v: it must wait for the tests and the manifests", needs)
	}
	if p := wf.Permissions; p == nil || p.Scopes["contents"] == nil || p.Scopes["contents"].Value.Value != "read" || len(p.Scopes) != 1 {
		t.Errorf("the workflow's default permissions are not read-only contents: %+v", p)
	}
}

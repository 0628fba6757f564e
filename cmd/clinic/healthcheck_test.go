package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	p := startClinic(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", "--url", p.base + "/readyz"}, noEnv, &out, io.Discard); err != nil {
		t.Fatalf("healthcheck of a ready clinic: %v", err)
	}
	env := func(k string) string { return map[string]string{"CLINIC_URL": p.base + "/healthz"}[k] }
	if err := run(context.Background(), []string{"healthcheck"}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck through CLINIC_URL: %v", err)
	}
	// Without --url, the address the serve on --data recorded.
	if err := run(context.Background(), []string{"healthcheck", "--data", p.data}, noEnv, io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck through the data folder's recorded address: %v", err)
	}
	if err := run(context.Background(), []string{"healthcheck", "--data", t.TempDir()}, noEnv, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "no clinic serve is running") {
		t.Errorf("healthcheck of a data folder nothing serves: %v, want it to say so", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer down.Close()
	for _, args := range [][]string{
		{"healthcheck", "--url", down.URL},
		{"healthcheck", "--url", deadAddr(t)},
		{"healthcheck", "extra"},
	} {
		if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

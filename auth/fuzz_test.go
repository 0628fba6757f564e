package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary tokens to the verifier: it refuses them with
// ErrInvalidToken and never panics, and the only tokens it accepts are the
// ones its key signed (the seeds). The seeds under testdata/fuzz/FuzzVerify
// run in every test run; explore with
//
//	go test -run '^$' -fuzz FuzzVerify -fuzztime 30s ./auth
func FuzzVerify(f *testing.F) {
	key, err := LoadOrCreateKey(KeyPath(f.TempDir()))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	iss := NewIssuer(key, DefaultIssuer, DefaultAudience, clock)
	v := NewVerifier(iss.Keys(), DefaultIssuer, DefaultAudience, clock, 0)
	good, err := iss.Issue("nurse-kim", RoleStaff, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	for _, seed := range []string{good, "", ".", "..", "a.b.c", parts[0] + "." + parts[1] + ".", parts[0] + ".e30." + parts[2],
		"eyJhbGciOiJub25lIn0.e30.", strings.Repeat("A", 300), parts[0] + "." + parts[1] + "." + parts[2] + "."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(context.Background(), token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("%q refused with %v, not ErrInvalidToken", token, err)
			}
			return
		}
		if p.Subject != "nurse-kim" || !p.HasRole(RoleStaff) {
			t.Fatalf("accepted %q as %+v: a token the key never signed", token, p)
		}
	})
}

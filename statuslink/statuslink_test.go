package statuslink_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/statuslink"
)

func signer(t *testing.T, seed byte) *statuslink.Signer {
	t.Helper()
	s, err := statuslink.New(bytes.Repeat([]byte{seed}, statuslink.KeySize), "https://clinic.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenNamesOneReservationAndItsPhone(t *testing.T) {
	t.Parallel()
	s := signer(t, 1)
	id, other := uuid.NewString(), uuid.NewString()
	tok, err := s.Token(id, "010-1234-5678")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := statuslink.ReservationID(tok); err != nil || got != id {
		t.Fatalf("ReservationID = %q, %v; want %q", got, err, id)
	}
	if err := s.Verify(tok, id, "010-1234-5678"); err != nil {
		t.Errorf("Verify of its own reservation and phone: %v", err)
	}
	// Another way of writing the same number is the same phone.
	if err := s.Verify(tok, id, "+82 10 1234 5678"); err != nil {
		t.Errorf("Verify with the number written internationally: %v", err)
	}
	for name, check := range map[string]error{
		"another phone (the reservation's phone changed)": s.Verify(tok, id, "010-9999-0000"),
		"no phone":              s.Verify(tok, id, ""),
		"another reservation":   s.Verify(tok, other, "010-1234-5678"),
		"another clinic's key":  signer(t, 2).Verify(tok, id, "010-1234-5678"),
		"not a reservation id":  s.Verify(tok, "nope", "010-1234-5678"),
		"empty token":           s.Verify("", id, "010-1234-5678"),
		"token with padding":    s.Verify(tok+"=", id, "010-1234-5678"),
		"standard base64 token": s.Verify(strings.NewReplacer("-", "+", "_", "/").Replace(tok)+"A", id, "010-1234-5678"),
	} {
		if !errors.Is(check, statuslink.ErrInvalid) {
			t.Errorf("%s: Verify = %v, want ErrInvalid", name, check)
		}
	}
	if got := s.URL(id, "010-1234-5678"); got != "https://clinic.example.com/status/"+tok {
		t.Errorf("URL = %q", got)
	}
	if got := s.URL("not-a-uuid", "010-1234-5678"); got != "" {
		t.Errorf("URL of a bad id = %q, want none", got)
	}
}

// TestEveryAlteredByteIsInvalid flips each bit of a token: none of them
// names anything.
func TestEveryAlteredByteIsInvalid(t *testing.T) {
	t.Parallel()
	s := signer(t, 3)
	id := uuid.NewString()
	tok, _ := s.Token(id, "01012345678")
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		for bit := range 8 {
			b := bytes.Clone(raw)
			b[i] ^= 1 << bit
			bad := base64.RawURLEncoding.EncodeToString(b)
			claimed, err := statuslink.ReservationID(bad)
			if err != nil {
				continue // the version byte
			}
			if err := s.Verify(bad, claimed, "01012345678"); !errors.Is(err, statuslink.ErrInvalid) {
				t.Fatalf("byte %d bit %d flipped: Verify = %v, want ErrInvalid", i, bit, err)
			}
		}
	}
}

func TestNewRefusesBadKeysAndBases(t *testing.T) {
	t.Parallel()
	key := make([]byte, statuslink.KeySize)
	for _, base := range []string{"", "clinic.example.com", "ftp://x", "https://", "https://x/?a=b"} {
		if _, err := statuslink.New(key, base); err == nil {
			t.Errorf("New accepted base %q", base)
		}
	}
	if _, err := statuslink.New(key[:16], "https://x"); err == nil {
		t.Error("New accepted a 16-byte key")
	}
	s, err := statuslink.New(key, "http://127.0.0.1:8080/clinic/")
	if err != nil {
		t.Fatal(err)
	}
	if u := s.URL(uuid.NewString(), "0101234567"); !strings.HasPrefix(u, "http://127.0.0.1:8080/clinic/status/") {
		t.Errorf("URL under a base with a path = %q", u)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xfb}, statuslink.KeySize) // encodes differently in the two alphabets
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		got, err := statuslink.ParseKey(" " + enc.EncodeToString(key) + "\n")
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%s) = %x, %v", enc.EncodeToString(key), got, err)
		}
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(key[:31])} {
		if _, err := statuslink.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestLoadOrCreateKeyIsOneKeyForRacingProcesses(t *testing.T) {
	t.Parallel()
	path := statuslink.KeyPath(t.TempDir())
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := statuslink.LoadOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) || len(k) != statuslink.KeySize {
			t.Fatalf("racing creators got different keys: %x and %x", keys[0], k)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := statuslink.LoadOrCreateKey(path); err == nil {
		t.Error("a key file others may read was accepted")
	}
}

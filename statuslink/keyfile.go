package statuslink

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyPath is where the embedded setup keeps the key, in data folder dataDir.
func KeyPath(dataDir string) string { return filepath.Join(dataDir, "auth", "status-link.key") }

// ParseKey decodes a key given as base64 (standard or URL alphabet, padded
// or not) of KeySize bytes, as a Secret holds it; `openssl rand -base64 32`
// makes one. It returns an error for anything else.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("statuslink: the key has %d bytes; it must be %d (openssl rand -base64 32)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("statuslink: the key is not base64 (openssl rand -base64 32 makes one)")
}

// LoadOrCreateKey reads the key at path, creating a random one (mode 0600,
// in a 0700 folder) when there is none. Two processes that race to create
// it end up with the same key: the file appears atomically and the loser
// reads the winner's. It refuses a key file that others may read.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := loadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("statuslink: create key folder: %w", err)
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("statuslink: generate key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".status-link-*")
	if err != nil {
		return nil, fmt.Errorf("statuslink: create key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := writeKey(tmp, key); err != nil {
		return nil, fmt.Errorf("statuslink: write key: %w", err)
	}
	// Link fails when another process created the key first; then use theirs.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("statuslink: install key: %w", err)
	}
	return loadKey(path)
}

func writeKey(f *os.File, key []byte) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func loadKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("statuslink: key file %s has mode %v; it must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("statuslink: read key: %w", err)
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("statuslink: key file %s: %w", path, err)
	}
	return key, nil
}

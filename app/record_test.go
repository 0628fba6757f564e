package app

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/bolt"
)

// TestDataInUseNamesTheFolderAndTheProcess: the read store's lock held by
// another opener comes back as the data folder being in use, naming the
// folder and the process its record names; other errors are not.
func TestDataInUseNamesTheFolderAndTheProcess(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	path := filepath.Join(data, "read.db")
	first, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	unrecord, err := recordServe(data, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 18080})
	if err != nil {
		t.Fatal(err)
	}
	defer unrecord()
	_, err = bolt.Open(path, 50*time.Millisecond)
	got := dataInUse(data, err)
	for _, want := range []string{"the data folder " + data + " is in use by another clinic process", fmt.Sprintf("pid %d", os.Getpid()), "http://127.0.0.1:18080"} {
		if got == nil || !strings.Contains(got.Error(), want) {
			t.Errorf("dataInUse(%v) = %v; want it to say %q", err, got, want)
		}
	}
	if got := dataInUse(data, os.ErrPermission); got != nil {
		t.Errorf("dataInUse(permission denied) = %v, want nil", got)
	}
}

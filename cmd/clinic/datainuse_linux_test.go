package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestSecondServeOnTheSameDataFolder: a second serve on the data folder of
// a running clinic (another process) fails at once and says so plainly,
// naming the folder and the process from its recorded address, instead of
// the lock's "resource temporarily unavailable".
func TestSecondServeOnTheSameDataFolder(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	first := startServeChild(t, []string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--roles", "command,query"})
	defer first.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, roles := range []string{"command", "query"} {
		args := []string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--roles", roles}
		if roles == "query" {
			// Its own event store elsewhere: only the read store in the
			// folder is shared, and its lock is bbolt's.
			args = append(args, "--esdb", "esdb://127.0.0.1:1?tls=false")
		}
		err := run(ctx, args, noEnv, io.Discard, io.Discard)
		for _, want := range []string{"the data folder " + data + " is in use by another clinic process",
			fmt.Sprintf("pid %d", first.cmd.Process.Pid), first.base} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("second serve (%s): %v; want it to say %q", roles, err, want)
			}
		}
		if err != nil && strings.Contains(err.Error(), "temporarily unavailable") {
			t.Errorf("second serve (%s): %v; the lock's errno is not for people", roles, err)
		}
	}
}

package main

import (
	"context"
	"errors"
	"io"
)

// runEventstore is not built yet.
func runEventstore(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	return errors.New("eventstore: not implemented yet")
}

package main

import (
	"context"
	"errors"
	"io"
)

// runToken is not built yet.
func runToken(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	return errors.New("token: not implemented yet")
}

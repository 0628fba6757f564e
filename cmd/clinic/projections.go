package main

import (
	"context"
	"errors"
	"io"
)

// runProjections is not built yet.
func runProjections(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	return errors.New("projections: not implemented yet")
}

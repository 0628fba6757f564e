package domain

import (
	"errors"
	"fmt"
	"testing"
)

func TestValidationError(t *testing.T) {
	t.Parallel()
	v := Validation()
	if v.Err() != nil {
		t.Fatal("empty validation is an error")
	}
	v.Check(true, "ok", "never")
	v.Check(false, "name", "required")
	v.Add("name", "second message loses")
	v.Add("age", "must be positive")
	err := fmt.Errorf("wrapped: %w", v.Err())
	if !errors.Is(err, ErrValidation) || KindOf(err) != KindValidation {
		t.Fatalf("%v: not a validation error", err)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["name"] != "required" || len(ve.Fields) != 2 {
		t.Fatalf("fields %v", ve.Fields)
	}
	if got, want := ve.Error(), "invalid input: age: must be positive; name: required"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestKinds(t *testing.T) {
	t.Parallel()
	taken := Conflict("x.taken", "taken")
	missing := NotFound("x.missing", "missing")
	if KindOf(fmt.Errorf("ctx: %w", taken)) != KindConflict || KindOf(missing) != KindNotFound || KindOf(errors.New("x")) != 0 {
		t.Fatal("kinds")
	}
	if errors.Is(taken, Conflict("x.taken", "taken")) {
		t.Fatal("sentinels compare by identity")
	}
}

// Package domain holds what every aggregate package shares: the event
// interface and the error types that the API maps to HTTP statuses.
// Aggregates live in their own packages (schedule, reservation,
// medicalrecord, invoice); they import only the standard library and uuid.
package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Event is a fact that happened to an aggregate. EventType is its stored
// type name, an explicit constant that never changes with Go names.
type Event interface {
	EventType() string
}

// Kind classifies domain errors so that adapters can map them to a
// status (409, 404, 422) without knowing every sentinel.
type Kind int

const (
	// KindConflict: the command does not fit the aggregate's current state
	// (slot taken, reservation cancelled, record finalised).
	KindConflict Kind = iota + 1
	// KindNotFound: the aggregate the command names does not exist.
	KindNotFound
	// KindValidation: the command's input is invalid, whatever the state.
	KindValidation
)

// Kinds lists every Kind, so that an adapter can map each to a status.
func Kinds() []Kind { return []Kind{KindConflict, KindNotFound, KindValidation} }

// Error is a sentinel domain error with a stable code, for instance
// "reservation.cancelled". Adapters use Code as the problem type and Kind
// for the status; compare with errors.Is against the package's sentinel.
type Error struct {
	Kind    Kind
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Conflict returns a new sentinel of KindConflict.
func Conflict(code, message string) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: message}
}

// NotFound returns a new sentinel of KindNotFound.
func NotFound(code, message string) *Error {
	return &Error{Kind: KindNotFound, Code: code, Message: message}
}

// Invalid returns a new sentinel of KindValidation.
func Invalid(code, message string) *Error {
	return &Error{Kind: KindValidation, Code: code, Message: message}
}

// ErrValidation is the sentinel every ValidationError matches.
var ErrValidation = Invalid("validation", "invalid input")

// ValidationError lists the failing input fields with a message each, for
// a 422 response. It matches ErrValidation with errors.Is.
type ValidationError struct {
	Fields map[string]string
}

// Validation starts an empty ValidationError; add fields with Add and
// return Err(), which is nil when nothing failed.
func Validation() *ValidationError { return &ValidationError{Fields: map[string]string{}} }

// MaxReasonBytes bounds every free-text reason a command carries: why a
// visit is booked or cancelled, why a day is closed, why money is refunded.
const MaxReasonBytes = 500

// CheckReason adds the field "reason" when reason is longer than
// MaxReasonBytes.
func (v *ValidationError) CheckReason(reason string) {
	v.Check(len(reason) <= MaxReasonBytes, "reason", fmt.Sprintf("at most %d bytes", MaxReasonBytes))
}

// Add records that field failed with message; the first message per field wins.
func (v *ValidationError) Add(field, message string) {
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = message
	}
}

// Check adds field with message when ok is false.
func (v *ValidationError) Check(ok bool, field, message string) {
	if !ok {
		v.Add(field, message)
	}
}

// Err returns v as an error, or nil when no field failed.
func (v *ValidationError) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	keys := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + v.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrValidation) true.
func (v *ValidationError) Unwrap() error { return ErrValidation }

// Invalidf returns a ValidationError with one failing field.
func Invalidf(field, message string) error {
	v := Validation()
	v.Add(field, message)
	return v
}

// KindOf returns the Kind of the domain error in err's chain, or 0.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// Unmarshal decodes JSON data into an event of type E; the aggregate
// packages' Decode functions use it.
func Unmarshal[E Event](data []byte) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", e.EventType(), err)
	}
	return e, nil
}

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/roamkit/travelroam"
)

// Exit statuses (documented in doc.go and the README).
const (
	exitOK             = 0
	exitError          = 1
	exitUsage          = 2
	exitRefused        = 3
	exitOutcomeUnknown = 5
	exitPending        = 6
	exitUnavailable    = 7
)

// exitCode maps the error of a command to its exit status. It is the only
// place that does: add new SDK sentinels here.
func exitCode(err error) int {
	var (
		usage  *usageError
		apiErr *travelroam.APIError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage), errors.Is(err, travelroam.ErrInvalidInput):
		return exitUsage
	// Checked before the statuses below: an unknown outcome may wrap a 500,
	// and a pending wait wraps its last "not ready" answer (often a 503).
	case errors.Is(err, travelroam.ErrOutcomeUnknown), errors.Is(err, travelroam.ErrAlreadyAttempted):
		return exitOutcomeUnknown
	case errors.Is(err, travelroam.ErrAssignmentsPending):
		return exitPending
	case errors.Is(err, travelroam.ErrUnavailable), errors.Is(err, travelroam.ErrRateLimited):
		return exitUnavailable
	// Nothing reached Travel Roam (a network failure): try later.
	case errors.Is(err, travelroam.ErrNotSent) && !errors.Is(err, context.Canceled):
		return exitUnavailable
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500:
		return exitRefused
	default:
		return exitError
	}
}

// usageError is a mistake in the command line or its environment; nothing
// was sent. printed is true when the flag package already printed it.
type usageError struct {
	msg     string
	printed bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// hintError adds what to do next to an error; it is printed on its own
// line after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

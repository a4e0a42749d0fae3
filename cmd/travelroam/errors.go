package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/roamkit/travelroam"
)

// Exit statuses (documented in doc.go and the README).
const (
	exitOK             = 0
	exitError          = 1
	exitUsage          = 2
	exitRefused        = 3
	exitCredentials    = 4
	exitOutcomeUnknown = 5
	exitPending        = 6 // also "the order exists": it wins over every other code
	exitUnavailable    = 7
	exitBelow          = 8
	exitInterrupted    = 130
)

// exitCode maps the error of a command to its exit status. It is the only
// place that does: add new SDK sentinels here.
func exitCode(err error) int {
	var (
		usage  *usageError
		apiErr *travelroam.APIError
		exists *orderExistsError
		creds  *credentialsError
		below  *belowError
		intr   *interruptedError
	)
	switch {
	case err == nil:
		return exitOK
	// An order exists: whatever failed afterwards (a Ctrl+C, a 403), a
	// script must not read "nothing bought".
	case errors.As(err, &exists), errors.As(err, new(*travelroam.AssignmentsPendingError)):
		return exitPending
	// Checked before the statuses below: an unknown outcome may wrap a 500.
	// It wins over an interruption: the purchase may have been sent.
	case errors.As(err, new(*travelroam.OutcomeUnknownError)), errors.As(err, new(*travelroam.AlreadyAttemptedError)):
		return exitOutcomeUnknown
	case errors.As(err, &intr):
		return exitInterrupted
	case errors.As(err, &creds):
		return exitCredentials
	case errors.As(err, &below):
		return exitBelow
	case errors.As(err, &usage), errors.As(err, new(*travelroam.ValidationError)):
		return exitUsage
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

// orderExistsError is any failure after an order was made (paid): exit 6
// and the hint "the order exists and is paid: do not buy again; travelroam
// wait REF".
type orderExistsError struct {
	err  error
	ref  string
	live bool
}

func (e *orderExistsError) Error() string { return e.err.Error() }
func (e *orderExistsError) Unwrap() error { return e.err }

// hint is the line printed after the error.
func (e *orderExistsError) hint() string {
	live := ""
	if e.live {
		live = " --live"
	}
	return "the order exists and is paid: do not buy again; travelroam wait " + e.ref + live
}

// orderExists wraps err (nil stays nil) as a failure after order ref.
func orderExists(err error, ref string, t target) error {
	if err == nil {
		return nil
	}
	return &orderExistsError{err: err, ref: ref, live: t.env == liveEnv}
}

// credentialsError is a missing credential, or a 401/403 answer to a
// command's first request: exit 4.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// belowError is balance --below's finding: exit 8.
type belowError struct{ msg string }

func (e *belowError) Error() string { return e.msg }

// interruptedError is a command stopped by Ctrl+C (SIGINT) or SIGTERM:
// exit 130.
type interruptedError struct{ err error }

func (e *interruptedError) Error() string {
	if strings.Contains(e.err.Error(), "interrupted") {
		return e.err.Error()
	}
	return "interrupted: " + e.err.Error()
}
func (e *interruptedError) Unwrap() error { return e.err }

// Package lectern holds Lectern's domain types, their states and the error
// kinds shared by every layer. It imports the standard library only.
package lectern

import (
	"errors"
	"fmt"
)

// ErrorCode is the kind of an error: it decides the HTTP status and the
// JSON "code" field. Keep the set small (see DESIGN §6).
type ErrorCode string

const (
	EInvalid      ErrorCode = "invalid"      // 400: bad input; Message names the field
	EUnauthorized ErrorCode = "unauthorized" // 401: no or bad credentials
	EForbidden    ErrorCode = "forbidden"    // 403: authenticated but not allowed
	ENotFound     ErrorCode = "not_found"    // 404: missing or not visible
	EConflict     ErrorCode = "conflict"     // 409: clashes with existing state
	ETooLarge     ErrorCode = "too_large"    // 413: over quota or size
	ETooMany      ErrorCode = "too_many"     // 429: rate limited; see RetryAfter
	EUnavailable  ErrorCode = "unavailable"  // 503: a dependency is down
	EInternal     ErrorCode = "internal"     // 500: a bug or an unexpected failure
)

// Error is an error whose Message is safe to show to a user. Anything
// internal stays in the wrapped Err and goes to the log only.
type Error struct {
	Code    ErrorCode
	Message string
	// RetryAfter, in seconds, is set for ETooMany.
	RetryAfter int
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a user-safe message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, or
// EInternal when there is none.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of err; an unexpected error
// gets a generic message so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. The problem has been logged; please try again later."
}

// RetryAfterOf returns the wait, in seconds, carried by a rate-limit error.
func RetryAfterOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

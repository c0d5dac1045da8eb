package anliegen

import (
	"errors"
	"fmt"
)

// Error codes. The server maps each to one HTTP status in one place; a client
// acts on the code, never on the message. Add a code only when a client must
// act differently.
const (
	EInvalid      = "invalid"      // 422, Field names what is wrong
	EBadRequest   = "bad_request"  // 400, the request could not be read
	EUnauthorized = "unauthorized" // 401
	EForbidden    = "forbidden"    // 403, only where it reveals nothing
	ENotFound     = "not_found"    // 404, also for what the caller may not see
	EConflict     = "conflict"     // 409, duplicate or stale update
	ERateLimited  = "rate_limited" // 429
	EInternal     = "internal"     // 500, details only in the log
)

// Error is the error type that crosses package boundaries. Message is safe to
// show to the caller; Err, the cause, is for logs only.
type Error struct {
	Code    string
	Field   string // for EInvalid: the JSON name of the offending field
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EInvalid error about field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil
// and EInternal for an error that carries no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorField returns the field of the first *Error in err's chain, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorMessage returns the caller-safe message of err: the message of the
// first *Error in the chain, or a generic text for an uncoded error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "internal error"
}

package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

// statusOf is the one mapping of error codes to HTTP status.
func statusOf(code string) int {
	switch code {
	case anliegen.EInvalid:
		return http.StatusUnprocessableEntity
	case anliegen.EBadRequest:
		return http.StatusBadRequest
	case anliegen.EUnauthorized:
		return http.StatusUnauthorized
	case anliegen.EForbidden:
		return http.StatusForbidden
	case anliegen.ENotFound:
		return http.StatusNotFound
	case anliegen.EConflict:
		return http.StatusConflict
	case anliegen.ERateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// retryAfterError carries a Retry-After duration with a rate_limited error.
type retryAfterError struct {
	err   *anliegen.Error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// handleError is the echo.HTTPErrorHandler: the one place where an error
// becomes a response. Internal errors are logged here, once, with cause.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	status := 0
	if errors.As(err, &he) {
		err, status = fromEchoError(he)
	}
	code := anliegen.ErrorCode(err)
	if status == 0 {
		status = statusOf(code)
	}
	if code == anliegen.EInternal {
		s.logger.Error("request failed", "method", c.Request().Method, "route", routeOf(c), "err", err)
	}
	var ra *retryAfterError
	if errors.As(err, &ra) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(ra.after.Round(time.Second)/time.Second)+1))
	}
	body := errorBody{Error: errorDetail{Code: code, Message: anliegen.ErrorMessage(err), Field: anliegen.ErrorField(err)}}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, body)
	}
	if err != nil {
		s.logger.Warn("write error response", "err", err)
	}
}

// fromEchoError turns echo's own errors (unknown route, wrong method) into
// coded errors, keeping echo's status where no code has it (405, 413).
func fromEchoError(he *echo.HTTPError) (error, int) {
	msg := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok && m != "" {
		msg = m
	}
	msg = strings.ToLower(msg)
	switch he.Code {
	case http.StatusNotFound:
		return anliegen.Errorf(anliegen.ENotFound, "not found"), 0
	case http.StatusUnauthorized:
		return anliegen.Errorf(anliegen.EUnauthorized, "%s", msg), 0
	case http.StatusForbidden:
		return anliegen.Errorf(anliegen.EForbidden, "%s", msg), 0
	case http.StatusTooManyRequests:
		return anliegen.Errorf(anliegen.ERateLimited, "%s", msg), 0
	case http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
		return anliegen.Errorf(anliegen.EBadRequest, "%s", msg), he.Code
	}
	if he.Code >= 500 {
		return &anliegen.Error{Code: anliegen.EInternal, Message: "internal error", Err: he}, 0
	}
	return anliegen.Errorf(anliegen.EBadRequest, "%s", msg), 0
}

// routeOf is the route template of c for logs and metrics.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}

// decode reads the JSON request body into v: one object, at most
// MaxBodyBytes, no unknown fields, nothing after it. Unreadable input is
// bad_request naming the problem; a value of the wrong type is invalid with
// the field's JSON name.
func (s *Server) decode(c echo.Context, v any) error {
	return decodeJSON(c, s.cfg.MaxBodyBytes, v)
}

func decodeJSON(c echo.Context, limit int64, v any) error {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// Requiring JSON keeps cross-site HTML forms out: they cannot send
		// application/json without a CORS preflight.
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return anliegen.Errorf(anliegen.EBadRequest, "content type must be application/json")
		}
	} else {
		return anliegen.Errorf(anliegen.EBadRequest, "content type must be application/json")
	}
	body := http.MaxBytesReader(c.Response(), r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return anliegen.Errorf(anliegen.EBadRequest, "unexpected data after the JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return anliegen.Errorf(anliegen.EBadRequest, "request body too large (limit %d bytes)", mbe.Limit)
	case errors.Is(err, io.EOF):
		return anliegen.Errorf(anliegen.EBadRequest, "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return anliegen.Errorf(anliegen.EBadRequest, "request body is truncated JSON")
	case errors.As(err, &syn):
		return anliegen.Errorf(anliegen.EBadRequest, "invalid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return anliegen.Errorf(anliegen.EBadRequest, "request body must be a JSON object")
		}
		return anliegen.Invalid(field, "must be %s", jsonKind(typ.Type.Kind().String()))
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &anliegen.Error{Code: anliegen.EBadRequest, Field: f, Message: fmt.Sprintf("unknown field %q", f)}
	}
	return anliegen.Errorf(anliegen.EBadRequest, "invalid JSON: %s", strings.TrimPrefix(msg, "json: "))
}

// jsonKind names a Go kind as the JSON type a client should send.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return "of another type"
}

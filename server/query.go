package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

// queryList returns the values of a query parameter, given repeated
// (?tag=a&tag=b) or comma-separated (?tag=a,b), without empties.
func queryList(c echo.Context, name string) []string {
	var out []string
	for _, v := range c.QueryParams()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// queryEnum parses a list of enum values, invalid naming the parameter.
func queryEnum[T ~string](c echo.Context, name string, valid func(T) bool) ([]T, error) {
	var out []T
	for _, v := range queryList(c, name) {
		t := T(v)
		if !valid(t) {
			return nil, anliegen.Invalid(name, "unknown value %q", v)
		}
		out = append(out, t)
	}
	return out, nil
}

// queryInts parses a list of integer IDs.
func queryInts(c echo.Context, name string) ([]int64, error) {
	var out []int64
	for _, v := range queryList(c, name) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, anliegen.Invalid(name, "must be a positive integer")
		}
		out = append(out, n)
	}
	return out, nil
}

// queryInt parses an optional integer within [lo, hi]; def when absent.
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, anliegen.Invalid(name, "must be an integer")
	}
	if n < lo || n > hi {
		return 0, anliegen.Invalid(name, "must be between %d and %d", lo, hi)
	}
	return n, nil
}

// queryBool parses a flag: "1" or "true" set it.
func queryBool(c echo.Context, name string) (bool, error) {
	switch strings.ToLower(c.QueryParam(name)) {
	case "":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	case "0", "false", "no":
		return false, nil
	}
	return false, anliegen.Invalid(name, "must be 1 or 0")
}

// queryTime parses an RFC 3339 time, or a date (YYYY-MM-DD, UTC midnight).
func queryTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, anliegen.Invalid(name, "must be an RFC 3339 time or a date YYYY-MM-DD")
}

// pathID parses a positive integer path parameter; a malformed one is
// not_found, as no such resource can exist.
func pathID(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, anliegen.Errorf(anliegen.ENotFound, "not found")
	}
	return n, nil
}

package storage

import (
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// unixMS is how times are stored: unix milliseconds, UTC.
func unixMS(t time.Time) int64 { return t.UnixMilli() }

// timeMS is the inverse of unixMS; it returns UTC.
func timeMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullMS stores an optional time: NULL for nil or zero.
func nullMS(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// zeroNullMS stores a time that is "unset" when zero.
func zeroNullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// ptrMS reads an optional time.
func ptrMS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := timeMS(n.Int64)
	return &t
}

// jsonArray encodes a slice as a JSON text column, "[]" when empty.
func jsonArray[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// nullJSON encodes a slice as JSON, NULL when empty: for wide tables where
// most rows have none (attachments, references).
func nullJSON[T any](v []T) any {
	if len(v) == 0 {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return string(b)
}

// parseJSONArray decodes a JSON text column written by jsonArray or
// nullJSON; bad or empty input yields nil.
func parseJSONArray[T any](s sql.NullString) []T {
	if !s.Valid || s.String == "" || s.String == "[]" {
		return nil
	}
	var v []T
	if err := json.Unmarshal([]byte(s.String), &v); err != nil {
		return nil
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

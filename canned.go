package anliegen

import "strings"

// Validate reports the first invalid field of a. Whether Department exists
// is for the store to check.
func (a *CannedAnswer) Validate() error {
	switch {
	case strings.TrimSpace(a.Title) == "":
		return Invalid("title", "must not be empty")
	case len(a.Title) > 200:
		return Invalid("title", "must be at most 200 bytes")
	case a.Shortcut != "" && !validSlug(a.Shortcut):
		return Invalid("shortcut", "must be 1-40 lower-case letters, digits or dashes")
	case strings.TrimSpace(a.Text) == "":
		return Invalid("text", "must not be empty")
	case len(a.Text) > 20000:
		return Invalid("text", "must be at most 20000 bytes")
	case a.Department != "" && !validSlug(a.Department):
		return Invalid("department", "unknown department %q", a.Department)
	}
	return nil
}

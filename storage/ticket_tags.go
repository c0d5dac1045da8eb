package storage

import (
	"slices"
	"strings"
	"unicode"

	"github.com/anliegen/anliegen"
)

// Limits on tags, shared by tickets and routing rules.
const (
	maxTags   = 20
	maxTagLen = 50
)

// normalizeTags lower-cases, trims, de-duplicates and sorts tags, so that
// "Sperrmüll " and "sperrmüll" are one tag and the tag filter finds both.
func normalizeTags(tags []string) ([]string, error) {
	out := []string{}
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "":
			continue
		case len(t) > maxTagLen:
			return nil, anliegen.Invalid("tags", "a tag must be at most %d bytes", maxTagLen)
		case strings.ContainsFunc(t, func(r rune) bool { return unicode.IsControl(r) || r == ',' }):
			return nil, anliegen.Invalid("tags", "a tag must not contain commas or control characters")
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxTags {
		return nil, anliegen.Invalid("tags", "at most %d tags", maxTags)
	}
	return out, nil
}

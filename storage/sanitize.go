package storage

import (
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
)

// Limits on stored content. Platforms allow a few thousand characters; only
// mail gets larger, and a 10 MB newsletter must not bloat the ticket list's
// rows or the index. What is cut is marked so staff know to look on the
// platform.
const (
	maxTextBytes  = 64 << 10
	maxHTMLBytes  = 256 << 10
	maxShortBytes = 1 << 10 // names, handles, subjects, URLs
	truncMarker   = "\n\n[… gekürzt]"
)

// sanitizer makes platform content inert before it is stored (invariant 6).
// It is built once per DB; bluemonday policies are safe for concurrent use.
type sanitizer struct {
	policy *bluemonday.Policy
}

func newSanitizer() *sanitizer {
	p := bluemonday.UGCPolicy()
	// Links open in the same tab (no target=_blank); rel=nofollow noreferrer
	// so that staff clicks neither boost nor tell the target where they
	// came from. bluemonday drops javascript:, data: and other schemes
	// outside http, https and mailto.
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.RequireParseableURLs(true)
	return &sanitizer{policy: p}
}

// HTML returns html with everything but harmless markup removed, capped.
func (s *sanitizer) HTML(html string) string {
	if html == "" {
		return ""
	}
	html = cleanText(html)
	cut := false
	if len(html) > maxHTMLBytes {
		// Cut the input, not the output: bluemonday then closes or drops
		// whatever the cut left half-open, so the result stays valid.
		html, cut = truncateUTF8(html, maxHTMLBytes), true
	}
	out := s.policy.Sanitize(html)
	if cut {
		out += "<p>[… gekürzt]</p>"
	}
	return out
}

// Text returns plain text fit for storing: valid UTF-8 without control and
// bidi override characters, capped at maxTextBytes with a marker.
func (s *sanitizer) Text(t string) string { return capText(cleanText(t), maxTextBytes) }

// Short cleans a one-line field (name, handle, subject, URL): newlines
// become spaces, and it is capped without a marker.
func (s *sanitizer) Short(t string) string {
	t = cleanText(t)
	if strings.ContainsAny(t, "\r\n\t") {
		t = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == '\t' {
				return ' '
			}
			return r
		}, t)
	}
	return truncateUTF8(strings.TrimSpace(t), maxShortBytes)
}

// cleanText drops invalid UTF-8, C0/C1 control characters other than tab
// and newline, and the bidi embedding, override and isolate characters
// (U+202A–U+202E, U+2066–U+2069). Those are removed rather than escaped:
// they let a message display differently from what it says ("Trojan
// Source"), and right-to-left scripts such as Arabic render correctly
// without them through the Unicode bidi algorithm.
func cleanText(t string) string {
	if isClean(t) {
		return t
	}
	var b strings.Builder
	b.Grow(len(t))
	for i := 0; i < len(t); {
		r, size := utf8.DecodeRuneInString(t[i:])
		i += size
		if r == utf8.RuneError && size <= 1 {
			continue
		}
		if dropRune(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isClean is the fast path: most messages need no change.
func isClean(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c >= 0x80 {
			goto slow
		}
		if c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
slow:
	if !utf8.ValidString(t) {
		return false
	}
	for _, r := range t {
		if dropRune(r) {
			return false
		}
	}
	return true
}

func dropRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t' || r == '\r':
		return false
	case r < 0x20 || r >= 0x7f && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// capText cuts t to at most n bytes (marker included) at a rune boundary.
func capText(t string, n int) string {
	if len(t) <= n {
		return t
	}
	return truncateUTF8(t, n-len(truncMarker)) + truncMarker
}

// truncateUTF8 returns the longest prefix of t of at most n bytes that ends
// on a rune boundary.
func truncateUTF8(t string, n int) string {
	if len(t) <= n {
		return t
	}
	for n > 0 && !utf8.RuneStart(t[n]) {
		n--
	}
	return t[:n]
}

// snippet returns the start of t on one line, at most n runes, for
// previews and subjects. It joins only as many words as it needs: a
// preview is cut from messages of up to 64 KB on every ticket read.
func snippet(t string, n int) string {
	var b strings.Builder
	runes := 0
	for f := range strings.FieldsSeq(t) {
		if runes > 0 {
			b.WriteByte(' ')
			runes++
		}
		b.WriteString(f)
		runes += utf8.RuneCountInString(f)
		if runes > n {
			break
		}
	}
	t = b.String()
	if runes <= n {
		return t
	}
	i, count := 0, 0
	for j := range t {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return strings.TrimSpace(t[:i]) + "…"
}

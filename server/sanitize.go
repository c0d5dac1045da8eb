package server

import (
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// sanitizer cleans the HTML fields the API returns. The store sanitizes
// platform HTML before saving (invariant 6); doing it again where the HTML
// leaves keeps one bug in an ingest path from reaching a browser.
type sanitizer struct {
	message *bluemonday.Policy // message bodies: links, lists, emphasis
	snippet *bluemonday.Policy // search snippets: only <mark>
}

func newSanitizer() *sanitizer {
	m := bluemonday.UGCPolicy()
	m.RequireNoFollowOnLinks(true)
	m.RequireNoReferrerOnLinks(true)
	m.AddTargetBlankToFullyQualifiedLinks(true)
	m.AllowURLSchemes("http", "https", "mailto")
	sn := bluemonday.NewPolicy()
	sn.AllowElements("mark")
	return &sanitizer{message: m, snippet: sn}
}

// bidiControls are the explicit direction overrides and isolates; in HTML
// they can make a link or a number read differently from what it is.
var bidiControls = strings.NewReplacer(
	"\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "",
	"\u2066", "", "\u2067", "", "\u2068", "", "\u2069", "",
)

// Message returns html safe to insert into the UI.
func (s *sanitizer) Message(html string) string {
	if html == "" {
		return ""
	}
	return bidiControls.Replace(s.message.Sanitize(strings.ToValidUTF8(html, "\ufffd")))
}

// Snippet returns a search snippet with nothing but text and <mark>.
func (s *sanitizer) Snippet(html string) string {
	if html == "" {
		return ""
	}
	return bidiControls.Replace(s.snippet.Sanitize(strings.ToValidUTF8(html, "\ufffd")))
}

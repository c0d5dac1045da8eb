package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxQueryLen bounds what a user may type; longer queries only cost time.
const (
	maxQueryLen     = 500
	maxQueryClauses = 32
)

// clause is one part of a user query: a word, a "quoted phrase", or either
// with a leading minus, which excludes it.
type clause struct {
	Text    string
	Phrase  bool
	Exclude bool
}

// parseQuery splits user input into clauses. Syntax: words, "phrases" in
// double quotes (an unclosed quote runs to the end; all words of a phrase
// must occur, in any order), and a leading '-' to exclude a word or
// phrase. Anything else is text. A lone '-' or empty
// quotes yield nothing. It never fails; limits are checked by the caller.
func parseQuery(q string) []clause {
	var out []clause
	i := 0
	for i < len(q) {
		r, size := utf8.DecodeRuneInString(q[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		exclude := false
		if r == '-' {
			exclude = true
			i += size
			if i >= len(q) {
				break
			}
			r, size = utf8.DecodeRuneInString(q[i:])
			if unicode.IsSpace(r) {
				continue
			}
		}
		if r == '"' {
			i += size
			end := strings.IndexByte(q[i:], '"')
			var text string
			if end < 0 {
				text, i = q[i:], len(q)
			} else {
				text, i = q[i:i+end], i+end+1
			}
			if text = strings.Join(strings.FieldsFunc(text, unicode.IsSpace), " "); text != "" {
				out = append(out, clause{Text: text, Phrase: true, Exclude: exclude})
			}
			continue
		}
		end := strings.IndexFunc(q[i:], func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
		var text string
		if end < 0 {
			text, i = q[i:], len(q)
		} else {
			text, i = q[i:i+end], i+end
		}
		if text != "" {
			out = append(out, clause{Text: text, Exclude: exclude})
		}
	}
	return out
}

// formatQuery writes clauses back in the syntax parseQuery reads.
func formatQuery(cs []clause) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.Exclude {
			b.WriteByte('-')
		}
		if c.Phrase {
			b.WriteByte('"')
			b.WriteString(c.Text)
			b.WriteByte('"')
		} else {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

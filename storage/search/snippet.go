package search

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetLen is the length of a snippet in bytes of source text, about two
// lines in the result list.
const snippetLen = 220

// matcher decides which analysed tokens of a text a query matched, the same
// ways the query matches: exactly, within the word's fuzziness, as the
// ending of a compound, or as a part of a split query compound.
type matcher struct {
	exact map[string]bool
	fuzzy []string // terms that allow typos
}

func newMatcher(t terms) *matcher {
	m := &matcher{exact: map[string]bool{}}
	add := func(s string) {
		if !m.exact[s] {
			m.exact[s] = true
			if fuzziness(s) > 0 {
				m.fuzzy = append(m.fuzzy, s)
			}
		}
	}
	for _, w := range t.words {
		add(w.term)
		for _, v := range w.fuzzy {
			m.exact[v.term] = true
		}
		for _, v := range w.suffix {
			m.exact[v.term] = true
		}
		for _, p := range w.parts {
			m.exact[p] = true
		}
	}
	for _, p := range t.phrases {
		for _, s := range p {
			add(s)
		}
	}
	return m
}

// match reports whether the analysed token tok is a hit.
func (m *matcher) match(tok string) bool {
	if m.exact[tok] {
		return true
	}
	n := utf8.RuneCountInString(tok)
	for s := range m.exact {
		if utf8.RuneCountInString(s) >= minPart && (strings.HasPrefix(tok, s) ||
			n >= minCompound && strings.HasSuffix(tok, s)) {
			return true
		}
	}
	for _, s := range m.fuzzy {
		if tok[0] == s[0] && withinDistance(tok, s, fuzziness(s)) {
			return true
		}
	}
	return false
}

// span is a byte range of a matched token in the text.
type span struct{ start, end int }

// snippet returns an HTML excerpt of text around the densest cluster of
// matches: everything escaped, matches wrapped in <mark>. Without matches
// it is the start of the text.
func snippet(a analyzer, m *matcher, text string) string {
	var hits []span
	for _, t := range a.tokens(text) {
		if m.match(string(t.Term)) {
			hits = append(hits, span{t.Start, t.End})
		}
	}
	start, end := window(text, hits)
	var b strings.Builder
	if start > 0 {
		b.WriteString("… ")
	}
	pos := start
	for _, h := range hits {
		if h.start < start || h.end > end {
			continue
		}
		b.WriteString(escape(text[pos:h.start]))
		b.WriteString("<mark>")
		b.WriteString(escape(text[h.start:h.end]))
		b.WriteString("</mark>")
		pos = h.end
	}
	b.WriteString(escape(text[pos:end]))
	if end < len(text) {
		b.WriteString(" …")
	}
	return b.String()
}

// window picks the snippet range: the snippetLen bytes starting shortly
// before the hit that begins the most hits, widened to word boundaries.
func window(text string, hits []span) (int, int) {
	if len(text) <= snippetLen {
		return 0, len(text)
	}
	best, bestN := 0, 0
	for i, h := range hits {
		n := 0
		for _, g := range hits[i:] {
			if g.end-h.start > snippetLen-40 {
				break
			}
			n++
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	start := 0
	if bestN > 0 {
		start = max(0, hits[best].start-40)
	}
	end := min(len(text), start+snippetLen)
	// Shift left when the window ran past the end of the text.
	if end-start < snippetLen {
		start = max(0, end-snippetLen)
	}
	s, e := wordStart(text, start), wordEnd(text, end)
	if e <= s { // one long word, such as a link
		s, e = runeStart(text, start), runeStart(text, end)
	}
	return s, e
}

// runeStart moves i back to the start of a UTF-8 sequence.
func runeStart(text string, i int) int {
	for i > 0 && i < len(text) && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}

// wordStart moves i forward to the start of a word, wordEnd moves i back to
// the end of one, so that a snippet never cuts a word or a UTF-8 sequence.
func wordStart(text string, i int) int {
	if i == 0 {
		return 0
	}
	for ; i < len(text); i++ {
		if !utf8.RuneStart(text[i]) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(text[i:])
		prev, _ := utf8.DecodeLastRuneInString(text[:i])
		if unicode.IsSpace(prev) && !unicode.IsSpace(r) {
			return i
		}
	}
	return len(text)
}

func wordEnd(text string, i int) int {
	if i >= len(text) {
		return len(text)
	}
	for ; i > 0; i-- {
		if !utf8.RuneStart(text[i]) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(text[i:])
		prev, _ := utf8.DecodeLastRuneInString(text[:i])
		if unicode.IsSpace(r) && !unicode.IsSpace(prev) {
			return i
		}
	}
	return 0
}

// escape escapes s for HTML and folds each run of white space into one
// space, so that the line breaks of a mail do not stretch the result list.
func escape(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return html.EscapeString(b.String())
}

// withinDistance reports whether the Levenshtein distance of a and b, in
// runes, is at most k.
func withinDistance(a, b string, k int) bool {
	return distanceMax(a, b, k) <= k
}

// distance returns the Levenshtein distance of a and b in runes.
func distance(a, b string) int {
	return distanceMax(a, b, len(a)+len(b))
}

// distanceMax returns the Levenshtein distance of a and b, or k+1 as soon
// as it is clear that it exceeds k.
func distanceMax(a, b string, k int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > k || -d > k {
		return k + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > k {
			return k + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

package email

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders an HTML mail as readable plain text for staff, search
// and previews: blocks become lines, list items get a dash, links keep
// their target, and script, style and head vanish. The HTML itself goes to
// the store, which sanitizes it (invariant 6); this text never holds markup.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var w textWriter
	skip := 0 // depth inside script/style/head/title
	var href []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if skip == 0 {
				w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template:
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
			case atom.Br:
				w.newline(1)
			case atom.P, atom.Div, atom.Table, atom.Tr, atom.H1, atom.H2, atom.H3,
				atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Ul, atom.Ol, atom.Pre, atom.Hr:
				w.newline(2)
			case atom.Li:
				w.newline(1)
				if !end {
					w.raw("- ")
				}
			case atom.Td, atom.Th:
				w.space = true // cells on one line, but never a space at line start
			case atom.A:
				if !end {
					href = append(href, attr(z, hasAttr, "href"))
					w.mark()
				} else if len(href) > 0 {
					h := href[len(href)-1]
					href = href[:len(href)-1]
					if (strings.HasPrefix(h, "http://") || strings.HasPrefix(h, "https://")) && !w.sinceMark(h) {
						w.raw(" (" + h + ")")
					}
				}
			case atom.Img:
				if alt := attr(z, hasAttr, "alt"); alt != "" && skip == 0 {
					w.text("[" + alt + "]")
				}
			}
		}
	}
}

func attr(z *html.Tokenizer, more bool, key string) string {
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if string(k) == key {
			return strings.TrimSpace(string(v))
		}
	}
	return ""
}

// textWriter collapses whitespace the way a browser does and counts
// pending line breaks so blocks never leave more than one blank line.
type textWriter struct {
	b        strings.Builder
	space    bool // a space is pending
	newlines int  // line breaks pending
	markAt   int
}

func (w *textWriter) text(s string) {
	if s == "" {
		return
	}
	r, _ := utf8.DecodeRuneInString(s)
	if isHTMLSpace(r) {
		w.space = true
	}
	for i, f := range strings.FieldsFunc(s, isHTMLSpace) {
		if i > 0 {
			w.space = true
		}
		w.flush()
		w.b.WriteString(f)
	}
	r, _ = utf8.DecodeLastRuneInString(s)
	if isHTMLSpace(r) {
		w.space = true
	}
}

func (w *textWriter) flush() {
	if w.b.Len() == 0 {
		w.newlines, w.space = 0, false
		return
	}
	if w.newlines > 0 {
		w.b.WriteString(strings.Repeat("\n", w.newlines))
		w.newlines, w.space = 0, false
		return
	}
	if w.space {
		w.b.WriteByte(' ')
		w.space = false
	}
}

func (w *textWriter) raw(s string) {
	w.flush()
	w.b.WriteString(s)
}

func (w *textWriter) newline(n int) {
	if n > w.newlines {
		w.newlines = n
	}
	w.space = false
}

func (w *textWriter) mark() { w.markAt = w.b.Len() }

// sinceMark reports whether s was already written since the last mark, so a
// link whose text is its URL is not repeated.
func (w *textWriter) sinceMark(s string) bool {
	if w.markAt > w.b.Len() {
		return false
	}
	return strings.Contains(w.b.String()[w.markAt:], s)
}

func (w *textWriter) String() string { return strings.TrimSpace(w.b.String()) }

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

package mastodon

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText turns a status's HTML content into plain text: paragraphs
// become blank lines, <br> a line break, links their text (Mastodon's
// hidden "https://" spans included, so a link reads as its full URL),
// entities decoded, whitespace collapsed. A "<" that would start a tag is
// followed by a space so the result never contains markup, even when the
// citizen typed some.
func HTMLToText(content string) string {
	nodes, err := html.ParseFragment(strings.NewReader(content), &html.Node{Type: html.ElementNode, DataAtom: atom.Div, Data: "div"})
	if err != nil { // only on reader errors, impossible with a string
		return ""
	}
	var w textWriter
	for _, n := range nodes {
		w.node(n, false)
	}
	return w.String()
}

type textWriter struct {
	b        strings.Builder
	newlines int  // trailing newlines written
	space    bool // a collapsed space is pending
}

func (w *textWriter) node(n *html.Node, pre bool) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data, pre)
		return
	case html.ElementNode:
	default:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.node(c, pre)
		}
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Head, atom.Title:
		return
	case atom.Br:
		w.newline(1)
		return
	case atom.Img:
		if alt := attr(n, "alt"); alt != "" {
			w.text(alt, false)
		}
		return
	}
	block := blockBreaks(n.DataAtom)
	w.newline(block)
	if n.DataAtom == atom.Li {
		w.text("- ", true)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c, pre || n.DataAtom == atom.Pre)
	}
	w.newline(block)
}

// blockBreaks is how many line breaks surround an element: a paragraph
// stands apart by a blank line, a list item starts a line.
func blockBreaks(a atom.Atom) int {
	switch a {
	case atom.P, atom.Blockquote, atom.Pre, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Ul, atom.Ol, atom.Table:
		return 2
	case atom.Div, atom.Li, atom.Tr, atom.Dt, atom.Dd, atom.Hr:
		return 1
	}
	return 0
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func (w *textWriter) newline(n int) {
	if n == 0 {
		return
	}
	w.space = false
	if w.b.Len() == 0 {
		return // no leading blank lines
	}
	for w.newlines < n {
		w.b.WriteByte('\n')
		w.newlines++
	}
}

func (w *textWriter) text(s string, pre bool) {
	for _, r := range s {
		switch {
		case r == '\r':
		case pre && r == '\n':
			w.b.WriteByte('\n')
			w.newlines++
			w.space = false
		case !pre && (r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\u00a0'):
			if w.b.Len() > 0 && w.newlines == 0 {
				w.space = true
			}
		case r == 0:
		default:
			if w.space {
				w.b.WriteByte(' ')
				w.space = false
			}
			w.b.WriteRune(r)
			w.newlines = 0
		}
	}
}

// String returns the text with trailing whitespace removed and every "<"
// that would open a tag defused.
func (w *textWriter) String() string {
	s := strings.TrimRight(w.b.String(), "\n ")
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '<' && i+1 < len(s) && opensTag(s[i+1]) {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func opensTag(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

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
	return textOf(content, nil)
}

// textOf is HTMLToText that also leaves out mentions of the town's own
// account at the start of the text: "@stadt Wann wird ..." reads "Wann
// wird ..." in previews, search and the composer. own holds the profile
// URLs of the town's account as the status's mentions list names them;
// only links to those count, since the visible "@stadt" may as well be
// a namesake on another instance. Other leading mentions stay.
func textOf(content string, own []string) string {
	nodes, err := html.ParseFragment(strings.NewReader(content), &html.Node{Type: html.ElementNode, DataAtom: atom.Div, Data: "div"})
	if err != nil { // only on reader errors, impossible with a string
		return ""
	}
	w := textWriter{own: own, leading: len(own) > 0}
	for _, n := range nodes {
		w.node(n, false)
	}
	return w.String()
}

type textWriter struct {
	b        strings.Builder
	newlines int  // trailing newlines written
	space    bool // a collapsed space is pending

	own     []string // profile URLs of the town's account
	leading bool     // still in the run of mentions that opens the text
}

// mention reports whether a is a mention link and whether it names the
// town's own account.
func (w *textWriter) mention(a *html.Node) (isMention, isOwn bool) {
	href := strings.TrimSuffix(attr(a, "href"), "/")
	for _, u := range w.own {
		if href != "" && strings.EqualFold(href, strings.TrimSuffix(u, "/")) {
			return true, true
		}
	}
	return strings.Contains(" "+attr(a, "class")+" ", " mention "), false
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
	if w.leading && n.DataAtom == atom.A {
		switch isMention, isOwn := w.mention(n); {
		case isOwn:
			return
		case isMention:
			// Someone else addressed up front: keep it, and keep looking.
			w.leading = false
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.node(c, pre)
			}
			w.leading = true
			return
		}
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
	if w.leading && strings.TrimSpace(s) != "" {
		w.leading = false
	}
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

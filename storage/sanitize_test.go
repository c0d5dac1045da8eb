package storage

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestSanitizeHTML(t *testing.T) {
	s := newSanitizer()
	for _, c := range []struct {
		name, in    string
		contains    []string
		notContains []string
	}{
		{"script", `<p>Hallo<script>alert(1)</script></p>`, []string{"<p>Hallo</p>"}, []string{"script", "alert"}},
		{"onerror", `<img src="https://x.de/a.png" onerror="alert(1)">`, []string{`src="https://x.de/a.png"`}, []string{"onerror"}},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, []string{"x"}, []string{"javascript"}},
		{"entity-encoded javascript", `<a href="jav&#x09;ascript:alert(1)">x</a>`, nil, []string{"href"}},
		{"link", `<a href="https://musterstadt.de/abfall">Abfall</a>`, []string{`href="https://musterstadt.de/abfall"`, "nofollow", "noreferrer"}, []string{"target"}},
		{"style", `<p style="position:fixed">x</p><style>body{}</style>`, []string{"<p>x</p>"}, []string{"style", "body{}"}},
		{"iframe", `<iframe src="https://evil.example"></iframe>ok`, []string{"ok"}, []string{"iframe"}},
		{"bidi", "<p>abc\u202edef</p>", []string{"<p>abcdef</p>"}, []string{"\u202e"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := s.HTML(c.in)
			for _, w := range c.contains {
				if !strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, want it to contain %q", c.in, got, w)
				}
			}
			for _, w := range c.notContains {
				if strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, must not contain %q", c.in, got, w)
				}
			}
		})
	}
}

func TestSanitizeText(t *testing.T) {
	s := newSanitizer()
	for _, c := range []struct{ in, want string }{
		{"Grüße aus Musterstadt 👋", "Grüße aus Musterstadt 👋"},
		{"a\x00b\x1bc", "abc"},
		{"Zeile 1\nZeile 2\tTab", "Zeile 1\nZeile 2\tTab"},
		{"evil\u202Egnp.exe", "evilgnp.exe"},
		{"\u2066iso\u2069", "iso"},
		{"bad \xff\xfe utf8", "bad  utf8"},
		{"مرحبا", "مرحبا"}, // right-to-left text needs no overrides
	} {
		if got := s.Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("ä", maxTextBytes)
	got := s.Text(long)
	if len(got) > maxTextBytes || !strings.HasSuffix(got, truncMarker) || !utf8.ValidString(got) {
		t.Errorf("long text: len %d, marker %v, valid %v", len(got), strings.HasSuffix(got, truncMarker), utf8.ValidString(got))
	}
	if got := s.Short("  Betreff\r\nmit Umbruch "); got != "Betreff  mit Umbruch" {
		t.Errorf("Short = %q", got)
	}
}

func TestSnippet(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"kurz", 10, "kurz"},
		{"  viel \n\n Leerraum  ", 20, "viel Leerraum"},
		{"Müllabfuhr kommt nicht", 11, "Müllabfuhr…"},
	} {
		if got := snippet(c.in, c.n); got != c.want {
			t.Errorf("snippet(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// FuzzSanitizeHTML checks the property that matters: whatever goes in,
// what comes out has no script or style element, no event handler
// attribute and no URL attribute with a scheme other than http, https or
// mailto, and is valid UTF-8 within the size limit.
func FuzzSanitizeHTML(f *testing.F) {
	for _, seed := range []string{
		`<p>Hallo</p>`, `<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`,
		`<a href="javascript:alert(1)">x</a>`, `<a href="JaVaScRiPt:alert(1)">x</a>`,
		`<svg><script>alert(1)</script></svg>`, `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<a href=" javascript:alert(1)">`, `<iframe srcdoc="<script>">`, `<div onmouseover="x">`,
		"<a href=\"java\x00script:x\">", `<<script>script>alert(1)<</script>/script>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	} {
		f.Add(seed)
	}
	s := newSanitizer()
	f.Fuzz(func(t *testing.T, in string) {
		out := s.HTML(in)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output for %q", in)
		}
		if len(out) > 2*maxHTMLBytes {
			t.Fatalf("output of %d bytes", len(out))
		}
		checkInert(t, in, out)
	})
}

func checkInert(t *testing.T, in, out string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "object", "embed", "svg", "math", "form", "base", "meta", "link":
			t.Fatalf("element <%s> in output %q (input %q)", tok.Data, out, in)
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" {
				t.Fatalf("attribute %s in output %q (input %q)", a.Key, out, in)
			}
			if key == "href" || key == "src" || key == "cite" || key == "action" || key == "formaction" {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if i := strings.Index(v, ":"); i >= 0 && !strings.ContainsAny(v[:i], "/?#") {
					switch v[:i] {
					case "http", "https", "mailto":
					default:
						t.Fatalf("URL scheme %q in output %q (input %q)", v[:i], out, in)
					}
				}
			}
		}
	}
}

// snippetJoinAll is snippet as it was before it stopped joining words
// early: the whole text on one line, then cut.
func snippetJoinAll(t string, n int) string {
	t = strings.Join(strings.Fields(t), " ")
	if utf8.RuneCountInString(t) <= n {
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

// FuzzSnippet checks that snippet, which joins only the words it needs,
// returns what joining the whole text and cutting it returns.
func FuzzSnippet(f *testing.F) {
	f.Add("Wann  kommt\n die Müllabfuhr?", 10)
	f.Add("  a b ", 2)
	f.Add("\xff\xfe ok", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = 1 + (n&0xff)%250
		if got, want := snippet(s, n), snippetJoinAll(s, n); got != want {
			t.Fatalf("snippet(%q, %d) = %q, want %q", s, n, got, want)
		}
	})
}

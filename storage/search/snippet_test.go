package search

import (
	"context"
	"html"
	"strings"
	"testing"
	"unicode/utf8"
)

func testAnalyzer(t testing.TB) analyzer {
	t.Helper()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	a := m.AnalyzerNamed(analyzerDE)
	if a == nil {
		t.Fatal("no German analyzer")
	}
	return analyzer{a: a}
}

// testMatcher analyses q without an index: exact and fuzzy terms only.
func testMatcher(t testing.TB, a analyzer, q string) *matcher {
	t.Helper()
	ts, err := a.analyze(context.Background(), parseQuery(q), nil)
	if err != nil {
		t.Fatal(err)
	}
	return newMatcher(ts)
}

func TestAnalyzer(t *testing.T) {
	a := testAnalyzer(t)
	tests := []struct{ a, b string }{
		{"Anträge", "Antrag"},
		{"Kitas", "Kita"},
		{"Autos", "Auto"},
		{"Straßen", "strasse"},
		{"Müllabfuhr", "Mullabfuhr"},
		{"Schlaglöcher", "Schlagloch"},
	}
	for _, tt := range tests {
		ta, tb := a.terms(tt.a), a.terms(tt.b)
		if len(ta) != 1 || len(tb) != 1 || ta[0] != tb[0] {
			t.Errorf("%q → %v, %q → %v: want the same term", tt.a, ta, tt.b, tb)
		}
	}
	if got := a.terms("Preis Status Ergebnis"); strings.Join(got, " ") != "preis status ergebnis" {
		t.Errorf("s kept after i, u and consonants: got %v", got)
	}
}

func TestSnippet(t *testing.T) {
	a := testAnalyzer(t)
	long := strings.Repeat("Vorher steht hier viel anderer Text. ", 20) +
		"Der Personalausweis ist weg & <b>nicht</b> mehr da." +
		strings.Repeat(" Danach folgt noch mehr Text.", 20)
	tests := []struct {
		name, q, text, want string
	}{
		{"escape", "ausweis", `<script>alert(1)</script> Ausweis & "Pass"`,
			`&lt;script&gt;alert(1)&lt;/script&gt; <mark>Ausweis</mark> &amp; &#34;Pass&#34;`},
		{"stem and umlaut", "antrag", "Zwei Anträge liegen vor.", "Zwei <mark>Anträge</mark> liegen vor."},
		{"typo", "personalausweiss", "Mein Personalausweis\n\nist weg.", "Mein <mark>Personalausweis</mark> ist weg."},
		{"compound ending", "steuer", "Die Hundesteuer steigt.", "Die <mark>Hundesteuer</mark> steigt."},
		{"no match", "xyz", "Kurzer Text.", "Kurzer Text."},
		{"window", "personalausweis", long, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := snippet(a, testMatcher(t, a, tt.q), tt.text)
			if tt.want != "" && got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if tt.name == "window" {
				if !strings.HasPrefix(got, "… ") || !strings.HasSuffix(got, " …") ||
					!strings.Contains(got, "<mark>Personalausweis</mark> ist weg &amp; &lt;b&gt;nicht&lt;/b&gt;") ||
					len(got) > 2*snippetLen {
					t.Errorf("window snippet %q", got)
				}
			}
		})
	}
}

// FuzzSnippet checks that a snippet of any text is safe HTML: the only
// tags are balanced <mark> pairs, and without them it unescapes to a piece
// of the text with white space folded.
func FuzzSnippet(f *testing.F) {
	f.Add("ausweis", "<b>Ausweis</b> & Pass")
	f.Add("straße", "Die Straßenlaterne in der Straße\nist aus.")
	f.Add("x", strings.Repeat("ab ", 200)+"x")
	a := testAnalyzer(f)
	f.Fuzz(func(t *testing.T, q, text string) {
		if !utf8.ValidString(text) {
			return // the store holds valid UTF-8 text
		}
		s := snippet(a, testMatcher(t, a, q), text)
		plain := strings.ReplaceAll(strings.ReplaceAll(s, "<mark>", ""), "</mark>", "")
		if strings.Count(s, "<mark>") != strings.Count(s, "</mark>") || strings.ContainsAny(plain, "<>\"'") {
			t.Fatalf("unsafe snippet %q of %q", s, text)
		}
		plain = strings.TrimSuffix(strings.TrimPrefix(html.UnescapeString(plain), "… "), " …")
		if !strings.Contains(fold(text), strings.TrimSpace(plain)) {
			t.Fatalf("snippet %q is no piece of %q", plain, fold(text))
		}
	})
}

func fold(s string) string {
	return html.UnescapeString(escape(s))
}

func TestWithinDistance(t *testing.T) {
	tests := []struct {
		a, b string
		k    int
		want bool
	}{
		{"personalausweis", "personalausweiss", 1, true},
		{"strasse", "strase", 1, true},
		{"kita", "kino", 1, false},
		{"müll", "mull", 1, true},
		{"abc", "abcdef", 2, false},
	}
	for _, tt := range tests {
		if got := withinDistance(tt.a, tt.b, tt.k); got != tt.want {
			t.Errorf("withinDistance(%q, %q, %d) = %v", tt.a, tt.b, tt.k, got)
		}
	}
}

package search

import (
	"bytes"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

// regexpPluralS returns the mapping's regular-expression char filter,
// which pluralS replaces.
func regexpPluralS(t testing.TB) analysis.CharFilter {
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := m.AnalyzerNamed(analyzerDE).(*analysis.DefaultAnalyzer)
	if !ok || len(a.CharFilters) != 1 {
		t.Fatal("mapping's German analyzer has no char filter")
	}
	return a.CharFilters[0]
}

func TestPluralSMatchesRegexp(t *testing.T) {
	re := regexpPluralS(t)
	for _, in := range []string{
		"Kitas Autos Handys", "KITAS", "Ergebnis Status Preis", "das was", "Kitas.", "Kitas",
		"zwei Kitas, drei Autos; Omas!", "Sofas und Lamas", "Kitasplatz", "Öfas", "Mühlas Bäros",
		"s", "as", "Kas", "", "Ämtas Ämtos", "Kitas\nAutos", "x1as", "Kita's", "Bürgerbüros 12",
	} {
		want := string(re.Filter([]byte(in)))
		if got := string(pluralS{}.Filter([]byte(in))); got != want {
			t.Errorf("pluralS(%q) = %q, regexp gives %q", in, got, want)
		}
	}
}

func FuzzPluralS(f *testing.F) {
	for _, s := range []string{"Kitas Autos", "Status", "Ämtas", "a\xffas", "Kas s"} {
		f.Add(s)
	}
	re := regexpPluralS(f)
	f.Fuzz(func(t *testing.T, in string) {
		got := pluralS{}.Filter([]byte(in))
		if len(got) != len(in) {
			t.Fatalf("pluralS changed the length of %q: offsets would break", in)
		}
		if want := re.Filter([]byte(in)); !bytes.Equal(got, want) {
			t.Fatalf("pluralS(%q) = %q, regexp gives %q", in, got, want)
		}
	})
}

// The reversed field holds what the mapping's reversed analyzer yields,
// from the tokens of the text field.
func TestReversedTokensMatchMapping(t *testing.T) {
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBuilder(m)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("Die Müllabfuhr kommt, aber die Hundesteuer-Bescheide der Straßenlaternen und Kitas nicht.")
	da := &docAnalysis{a: b.text}
	textToks := textTokens{da}.Analyze(text)
	got := reversedTokens{da}.Analyze(text)
	want := m.AnalyzerNamed(analyzerReversed).Analyze(text)
	if len(got) != len(want) || len(textToks) == 0 {
		t.Fatalf("reversed tokens %d, mapping %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Term, want[i].Term) {
			t.Errorf("token %d: %q, mapping %q", i, got[i].Term, want[i].Term)
		}
	}
	plain := m.AnalyzerNamed(analyzerDE).Analyze(text)
	if len(plain) != len(textToks) {
		t.Fatalf("text tokens %d, mapping %d", len(textToks), len(plain))
	}
	for i := range plain {
		if !bytes.Equal(plain[i].Term, textToks[i].Term) || plain[i].Start != textToks[i].Start {
			t.Errorf("token %d: %q, mapping %q", i, textToks[i].Term, plain[i].Term)
		}
	}
}

func TestWordTokenizer(t *testing.T) {
	text := "Die Kita-Gebühr (3,50 €) für Müll–Abfuhr: siehe musterstadt.de"
	want := []string{"Die", "Kita", "Gebühr", "3", "50", "für", "Müll", "Abfuhr", "siehe", "musterstadt", "de"}
	toks := wordTokenizer{}.Tokenize([]byte(text))
	if len(toks) != len(want) {
		t.Fatalf("got %d tokens, want %d: %v", len(toks), len(want), toks)
	}
	for i, tok := range toks {
		if string(tok.Term) != want[i] || text[tok.Start:tok.End] != want[i] || tok.Position != i+1 {
			t.Errorf("token %d: %q at %d-%d pos %d, want %q", i, tok.Term, tok.Start, tok.End, tok.Position, want[i])
		}
	}
}

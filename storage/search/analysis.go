package search

import (
	"errors"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// The analysis of documents and queries. The index mapping declares the
// same chain by name (newMapping), but documents and queries are
// analysed here: the plural-s filter is hand-written instead of a regular
// expression (a sixth of the indexing time), words are split by
// wordTokenizer instead of Unicode word segmentation (a tenth), and the
// reversed compound field reuses the tokens of the text field instead of
// analysing the text a second time.

// pluralS is the char filter "anliegen_plural_s" of newMapping without
// the regular expression: an ASCII "s" after a letter, a consonant
// letter and one of a, o, y (upper or lower case), and before a non-letter
// or the end, becomes a space. TestPluralSMatchesRegexp checks that both
// agree.
type pluralS struct{}

func (pluralS) Filter(input []byte) []byte {
	var out []byte
	for i := 0; i < len(input); i++ {
		if input[i] != 's' || !pluralSAt(input, i) {
			continue
		}
		if out == nil {
			out = append([]byte(nil), input...)
		}
		out[i] = ' '
	}
	if out == nil {
		return input
	}
	return out
}

// pluralSAt reports whether the "s" at b[i] is a plural ending.
func pluralSAt(b []byte, i int) bool {
	if i+1 < len(b) {
		r, _ := utf8.DecodeRune(b[i+1:])
		if unicode.IsLetter(r) {
			return false
		}
	}
	r1, n1 := utf8.DecodeLastRune(b[:i])
	if n1 == 0 || !isPluralVowel(r1) {
		return false
	}
	r2, n2 := utf8.DecodeLastRune(b[:i-n1])
	if n2 == 0 || !unicode.IsLetter(r2) || isVowel(r2) {
		return false
	}
	r3, n3 := utf8.DecodeLastRune(b[:i-n1-n2])
	return n3 > 0 && unicode.IsLetter(r3)
}

func isPluralVowel(r rune) bool {
	switch r {
	case 'a', 'o', 'y', 'A', 'O', 'Y':
		return true
	}
	return false
}

func isVowel(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'ä', 'ö', 'ü', 'A', 'E', 'I', 'O', 'U', 'Ä', 'Ö', 'Ü':
		return true
	}
	return false
}

// newGermanAnalyzer returns the analysis of analyzerDE with pluralS in
// place of the regular expression, built from the filters m declares.
func newGermanAnalyzer(m interface {
	AnalyzerNamed(string) analysis.Analyzer
}) (analysis.Analyzer, error) {
	base, ok := m.AnalyzerNamed(analyzerDE).(*analysis.DefaultAnalyzer)
	if !ok {
		return nil, errors.New("index mapping lacks the German analyzer")
	}
	return &analysis.DefaultAnalyzer{
		CharFilters:  []analysis.CharFilter{pluralS{}},
		Tokenizer:    wordTokenizer{},
		TokenFilters: base.TokenFilters,
	}, nil
}

// docAnalysis analyses one document's text once for both text fields:
// the text field's analyzer keeps its tokens, and the reversed field's
// analyzer derives its tokens from them. scorch analyses the fields of a
// document in order in one goroutine; should the reversed field come
// first anyway, it analyses the text itself.
type docAnalysis struct {
	a      analysis.Analyzer
	tokens analysis.TokenStream
	done   bool
}

func (d *docAnalysis) analyze(input []byte) analysis.TokenStream {
	if !d.done {
		d.tokens, d.done = d.a.Analyze(input), true
	}
	return d.tokens
}

// textTokens is the analyzer of fieldText for one document.
type textTokens struct{ d *docAnalysis }

func (t textTokens) Analyze(input []byte) analysis.TokenStream { return t.d.analyze(input) }

// reversedTokens is the analyzer of fieldReversed for one document: the
// words of at least minCompound letters, reversed (what the mapping's
// analyzerReversed yields).
type reversedTokens struct{ d *docAnalysis }

func (t reversedTokens) Analyze(input []byte) analysis.TokenStream {
	var out analysis.TokenStream
	for _, tok := range t.d.analyze(input) {
		if utf8.RuneCount(tok.Term) < minCompound {
			continue
		}
		rt := *tok
		rt.Term = []byte(reverseString(string(tok.Term)))
		out = append(out, &rt)
	}
	return out
}

// wordTokenizer splits text into runs of letters, digits and combining
// marks. It replaces bleve's Unicode word segmentation (UAX #29), a tenth
// of indexing time, for German prose where the two differ only inside
// addresses and numbers ("musterstadt.de", "3,50" become two tokens).
type wordTokenizer struct{}

func (wordTokenizer) Tokenize(input []byte) analysis.TokenStream {
	// One allocation for all tokens of the text.
	n := 0
	for i, inWord := 0, false; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		w := isWordRune(r)
		if w && !inWord {
			n++
		}
		inWord = w
		i += size
	}
	toks := make([]analysis.Token, n)
	out := make(analysis.TokenStream, 0, n)
	start := -1
	for i := 0; i <= len(input); {
		var r rune
		size := 1
		if i < len(input) {
			r, size = utf8.DecodeRune(input[i:])
		}
		w := i < len(input) && isWordRune(r)
		switch {
		case w && start < 0:
			start = i
		case !w && start >= 0:
			t := &toks[len(out)]
			t.Start, t.End, t.Term, t.Position = start, i, input[start:i], len(out)+1
			t.Type = analysis.AlphaNumeric
			if isDigits(t.Term) {
				t.Type = analysis.Numeric
			}
			out = append(out, t)
			start = -1
		}
		i += size
	}
	return out
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') ||
		r >= utf8.RuneSelf && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

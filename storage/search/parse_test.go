package search

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want []clause
	}{
		{"", nil},
		{"   ", nil},
		{"Sperrmüll anmelden", []clause{{Text: "Sperrmüll"}, {Text: "anmelden"}}},
		{`"gelber Sack"  abgeholt`, []clause{{Text: "gelber Sack", Phrase: true}, {Text: "abgeholt"}}},
		{`Ausweis -Reisepass`, []clause{{Text: "Ausweis"}, {Text: "Reisepass", Exclude: true}}},
		{`-"gelbe  Tonne" Sack`, []clause{{Text: "gelbe Tonne", Phrase: true, Exclude: true}, {Text: "Sack"}}},
		{`"offen bis zum Ende`, []clause{{Text: "offen bis zum Ende", Phrase: true}}},
		{`"" - -- x`, []clause{{Text: "-", Exclude: true}, {Text: "x"}}},
		{`Mühlbach-Brücke`, []clause{{Text: "Mühlbach-Brücke"}}},
		{`a"b"`, []clause{{Text: "a"}, {Text: "b", Phrase: true}}},
	}
	for _, tt := range tests {
		if got := parseQuery(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseQuery(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// FuzzParseQuery checks that parsing never fails on any input, that every
// clause is well-formed, and that formatting the clauses and parsing again
// gives the same clauses.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"Sperrmüll anmelden", `"a b" -c`, `-"x`, `""`, "-", "--a", "a\"b\"c", "\xff\"\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		cs := parseQuery(q)
		for _, c := range cs {
			if c.Text == "" || strings.Contains(c.Text, `"`) {
				t.Fatalf("bad clause %#v from %q", c, q)
			}
			if !c.Phrase && strings.IndexFunc(c.Text, unicode.IsSpace) >= 0 {
				t.Fatalf("word with space %#v from %q", c, q)
			}
			if !c.Exclude && !c.Phrase && strings.HasPrefix(c.Text, "-") {
				t.Fatalf("word starting with '-' %#v from %q", c, q)
			}
		}
		again := parseQuery(formatQuery(cs))
		if !reflect.DeepEqual(again, cs) {
			t.Fatalf("round trip of %q: %#v, then %#v", q, cs, again)
		}
	})
}

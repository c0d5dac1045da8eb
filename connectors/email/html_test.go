package email

import (
	"testing"
	"unicode/utf8"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"entities and spaces", "<p>Stra&szlig;e&nbsp;&amp;   Weg</p>", "Straße & Weg"},
		{"glued inline tags", "<p><b>Ab</b>fall und <i>Müll</i></p>", "Abfall und Müll"},
		{"link equal to its text", `<a href="https://musterstadt.example">https://musterstadt.example</a>`, "https://musterstadt.example"},
		{"mailto link", `<a href="mailto:a@example.org">schreiben</a>`, "schreiben"},
		{"table cells", "<table><tr><td>Name</td><td>Erika</td></tr><tr><td>Ort</td><td>Musterstadt</td></tr></table>", "Name Erika\n\nOrt Musterstadt"},
		{"no markup survives", `<div onclick="x()">Hallo<script>document.cookie</script><style>.a{}</style></div><img src=x onerror=alert(1) alt="Foto">`, "Hallo\n\n[Foto]"},
		{"blank lines collapse", "<p>a</p><p></p><br><br><br><p>b</p>", "a\n\nb"},
		{"broken markup", "<p>offen <b>fett", "offen fett"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in); got != tt.want {
			t.Errorf("%s: htmlToText(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>Guten&nbsp;Tag</p><ul><li>a<li>b</ul>")
	f.Add(`<a href="https://x">y</a><script>z</script><td>1<td>2`)
	f.Fuzz(func(t *testing.T, in string) {
		out := htmlToText(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Errorf("valid input %q gave invalid UTF-8 %q", in, out)
		}
		if len(out) > 4*len(in)+64 {
			t.Errorf("output of %d bytes for %d bytes input", len(out), len(in))
		}
	})
}

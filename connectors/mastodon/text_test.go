package mastodon

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs and breaks", "<p>Hallo<br>Welt</p><p>Zweiter  Absatz</p>", "Hallo\nWelt\n\nZweiter Absatz"},
		{"mastodon mention", `<p><span class="h-card" translate="no"><a href="https://s.example/@stadt" class="u-url mention">@<span>stadt</span></a></span> Wann?</p>`, "@stadt Wann?"},
		{"shortened link", `<p>siehe <a href="https://musterstadt.de/abfall/kalender-2026" rel="nofollow"><span class="invisible">https://</span><span class="ellipsis">musterstadt.de/abfall/kal</span><span class="invisible">ender-2026</span></a></p>`,
			"siehe https://musterstadt.de/abfall/kalender-2026"},
		{"entities", "<p>Tom &amp; Jerry &lt;3 &quot;ok&quot; &#128075;</p>", `Tom & Jerry <3 "ok" 👋`},
		{"typed markup stays inert", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "< script>alert(1)< /script>"},
		{"script dropped", "<p>a</p><script>alert(1)</script><p>b</p>", "a\n\nb"},
		{"list", "<ul><li>eins</li><li>zwei</li></ul><p>danach</p>", "- eins\n- zwei\n\ndanach"},
		{"pre keeps lines", "<pre>a\n  b</pre>", "a\n  b"},
		{"plain text", "kein HTML", "kein HTML"},
		{"empty", "", ""},
		{"emoji image", `<p>super <img alt=":blobcat:" src="x.png"></p>`, "super :blobcat:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.in); got != tt.want {
				t.Errorf("HTMLToText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTextOfStripsOwnMentions(t *testing.T) {
	const own = "https://s.example/@stadt"
	mention := func(url, name string) string {
		return `<span class="h-card" translate="no"><a href="` + url + `" class="u-url mention">@<span>` + name + `</span></a></span>`
	}
	stadt, anna := mention(own, "stadt"), mention("https://s.example/@anna", "anna")
	namesake := mention("https://anderswo.example/@stadt", "stadt")
	tests := []struct{ name, in, want string }{
		{"own first", "<p>" + stadt + " Wann wird gestreut?</p>", "Wann wird gestreut?"},
		{"own twice", "<p>" + stadt + " " + stadt + " Hallo</p>", "Hallo"},
		{"own after another", "<p>" + anna + " " + stadt + " Hallo</p>", "@anna Hallo"},
		{"own before another", "<p>" + stadt + " " + anna + " Hallo</p>", "@anna Hallo"},
		{"namesake stays", "<p>" + namesake + " Hallo</p>", "@stadt Hallo"},
		{"own in the text stays", "<p>Hallo " + stadt + " und Tschüss</p>", "Hallo @stadt und Tschüss"},
		{"own then a paragraph", "<p>" + stadt + "</p><p>Zweiter</p>", "Zweiter"},
		{"href with trailing slash", `<p><a href="` + own + `/">@stadt</a> Hallo</p>`, "Hallo"},
		{"akkoma markup", `<span class="h-card"><a class="u-url mention" data-user="x" href="` + own + `" rel="ugc">@<span>stadt</span></a></span> Hallo`, "Hallo"},
		{"only the mention", "<p>" + stadt + "</p>", ""},
		{"plain link first", `<p><a href="https://musterstadt.de">musterstadt.de</a> ` + stadt + `</p>`, "musterstadt.de @stadt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textOf(tt.in, []string{own}); got != tt.want {
				t.Errorf("textOf(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzTextOf: without own URLs textOf is HTMLToText; with them it never
// adds text, keeps the output free of tags, and removes exactly the own
// mentions put in front of any text.
func FuzzTextOf(f *testing.F) {
	const own = "https://s.example/@stadt"
	f.Add("<p>Wann?</p>", uint8(1))
	f.Add(`<a href="https://s.example/@stadt">@stadt</a> x`, uint8(0))
	f.Add("&lt;b&gt; @stadt", uint8(3))
	f.Fuzz(func(t *testing.T, in string, n uint8) {
		if got, want := textOf(in, nil), HTMLToText(in); got != want {
			t.Fatalf("textOf(%q, nil) = %q, HTMLToText = %q", in, got, want)
		}
		stripped := textOf(in, []string{own})
		if len(stripped) > len(HTMLToText(in)) {
			t.Fatalf("textOf(%q) = %q is longer than HTMLToText's %q", in, stripped, HTMLToText(in))
		}
		if tagRE.MatchString(stripped) {
			t.Fatalf("textOf(%q) = %q contains a tag", in, stripped)
		}
		// Own mentions in front of escaped plain text vanish, nothing else.
		body := "<p>" + html.EscapeString(in) + "</p>"
		front := strings.Repeat(`<span class="h-card"><a href="`+own+`" class="u-url mention">@<span>stadt</span></a></span> `, int(n%4))
		if got, want := textOf("<p>"+front+html.EscapeString(in)+"</p>", []string{own}), textOf(body, []string{own}); got != want {
			t.Fatalf("with %d own mentions in front of %q: %q, want %q", n%4, in, got, want)
		}
	})
}

var tagRE = regexp.MustCompile(`<[A-Za-z/!?]`)

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>a<br>b</p>", "&lt;b&gt;", "<a href=x><span class=invisible>https://</span>x</a>", "<pre>\n</pre>", "<<p>>", "\x00<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := HTMLToText(in)
		if tagRE.MatchString(out) {
			t.Fatalf("HTMLToText(%q) = %q contains a tag", in, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("HTMLToText(%q) = %q is not valid UTF-8", in, out)
		}
	})
}

// FuzzMapNotification feeds arbitrary JSON elements of a notifications page
// to the mapper: it never panics, and every element either maps to an item
// that validates and carries plain text, or is reported as skipped.
func FuzzMapNotification(f *testing.F) {
	f.Add([]byte(`{"id":"1","type":"mention","created_at":"2026-03-01T10:00:00.000Z","status":{"id":"110","created_at":"2026-03-01T10:00:00.000Z","visibility":"direct","content":"<p>hi</p>","account":{"id":"5","acct":"a@b"},"in_reply_to_id":"9","media_attachments":[{"type":"image","url":"https://x/y.png"}]}}`))
	f.Add([]byte(`{"id":"2","type":"mention","status":{"id":"3","account":{"username":42},"created_at":"gestern"}}`))
	f.Add([]byte(`{"id":"01HV","type":"mention","status":null}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"id":7,"type":"mention","status":{"id":"","account":{"id":"x"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, err := decodeNotification(json.RawMessage(raw))
		if err != nil {
			return // skipped with its id, if any
		}
		it, err := mapStatus(n.Status, "5")
		if err != nil {
			return // skipped
		}
		it.ThreadID = it.ExternalID
		if verr := it.Validate(); verr != nil {
			t.Fatalf("mapped item does not validate: %v (%+v)", verr, it)
		}
		if tagRE.MatchString(it.Text) {
			t.Fatalf("text %q contains a tag", it.Text)
		}
		if strings.TrimSpace(it.ExternalID) == "" || it.Author.ExternalID == "" {
			t.Fatalf("item without ids: %+v", it)
		}
	})
}

func TestPageBounds(t *testing.T) {
	page := []json.RawMessage{json.RawMessage(`{"id":"30"}`), json.RawMessage(`{"broken`), json.RawMessage(`{"id":"10"}`)}
	tests := []struct {
		name, link, top, bottom string
	}{
		{"from Link", `<https://s.example/api/v1/notifications?max_id=9&types%5B%5D=mention>; rel="next", <https://s.example/api/v1/notifications?min_id=31>; rel="prev"`, "31", "9"},
		{"from the elements", "", "30", "10"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.link != "" {
			h.Set("Link", tt.link)
		}
		var ids []string
		for _, raw := range page {
			if id := stringID(raw); id != "" {
				ids = append(ids, id)
			}
		}
		if top, bottom := pageBounds(h, ids); top != tt.top || bottom != tt.bottom {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, top, bottom, tt.top, tt.bottom)
		}
	}
}

// FuzzDecodePage: decoding a page in one pass gives what decoding its
// elements one by one gives, element for element, and a page that is no
// JSON array is an error.
func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`[{"id":"2","type":"mention","status":{"id":"20","created_at":"2026-03-01T10:00:00.000Z","account":{"id":"5"}}},{"id":"1","type":"mention"}]`))
	f.Add([]byte(`[{"id":"2"},{"id":3},{"id":"1","created_at":"gestern"}]`))
	f.Add([]byte(`[null,1,"x"]`))
	f.Add([]byte(`{"error":"x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePage(body)
		var raws []json.RawMessage
		if rerr := json.Unmarshal(body, &raws); rerr != nil {
			if err == nil {
				t.Fatalf("decodePage(%q) accepted what is no array", body)
			}
			return
		}
		if err != nil {
			t.Fatalf("decodePage(%q): %v", body, err)
		}
		if len(p.entries) != len(raws) {
			t.Fatalf("%d entries for %d elements", len(p.entries), len(raws))
		}
		for i, raw := range raws {
			n, derr := decodeNotification(raw)
			e := p.entries[i]
			if (derr == nil) != (e.err == nil) || (derr == nil && !reflect.DeepEqual(n, e.n)) || e.id != stringID(raw) {
				t.Fatalf("element %d %q: page gave %+v %v id %q, alone %+v %v", i, raw, e.n, e.err, e.id, n, derr)
			}
			if !bytes.Equal(p.raw(i), raw) {
				t.Fatalf("raw(%d) = %q, want %q", i, p.raw(i), raw)
			}
		}
	})
}

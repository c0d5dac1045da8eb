package storage

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/anliegen/anliegen"
)

// FuzzIngest hands the store items with arbitrary strings, as a buggy or
// hostile platform could send them. Properties: Ingest never fails on
// content (invalid items are skipped), what it stores is valid UTF-8
// without bidi overrides, its HTML is inert, and the same item again
// changes nothing.
func FuzzIngest(f *testing.F) {
	f.Add("m1", "u1", "@anna", "Anna", "Hallo\u202e", `<p onclick="x">hi</p><script>1</script>`, "conv", "https://x", "Betreff", uint8(0))
	f.Add("\xff", "\x00", "", "", "", "", "", "", "", uint8(1))
	f.Add("<a@b>", "a@b.de", "", "A", strings.Repeat("x", 70000), "", "<root@b>", "", "Re: x", uint8(2))
	db := mustOpen(f)
	ch := newChannel(f, db, anliegen.PlatformMastodon)
	kinds := []anliegen.Kind{anliegen.KindDM, anliegen.KindComment, anliegen.KindMail, "bogus"}
	f.Fuzz(func(t *testing.T, ext, author, handle, name, text, html, thread, url, subject string, kind uint8) {
		it := anliegen.Item{ExternalID: ext, Kind: kinds[int(kind)%len(kinds)], ThreadID: thread, ParentID: thread,
			References: []string{thread, ext}, Author: anliegen.Author{ExternalID: author, Handle: handle, Name: name},
			Subject: subject, Text: text, HTML: html, URL: url, CreatedAt: t0.Add(time.Duration(len(text)) * time.Second)}
		res, err := db.Ingest(context.Background(), ch, []anliegen.Item{it}, "c")
		if err != nil {
			t.Fatalf("ingest: %v", err)
		}
		if it.Validate() != nil {
			if res.Skipped != 1 {
				t.Fatalf("invalid item not skipped: %+v", res)
			}
			return
		}
		again, err := db.Ingest(context.Background(), ch, []anliegen.Item{it}, "c")
		if err != nil || again.Created != 0 || again.Updated != 0 {
			t.Fatalf("repeat: %+v, %v", again, err)
		}
		rows, err := db.read().Query(`SELECT m.text, m.html, m.author, m.subject, m.url, m.external_id, t.preview, t.subject
			FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.channel_id = ? AND m.external_id = ?`, ch, cleanText(ext))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var fields [8]string
			if err := rows.Scan(&fields[0], &fields[1], &fields[2], &fields[3], &fields[4], &fields[5], &fields[6], &fields[7]); err != nil {
				t.Fatal(err)
			}
			for i, s := range fields {
				if !utf8.ValidString(s) || strings.ContainsAny(s, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x00") {
					t.Fatalf("field %d not clean: %q", i, s)
				}
			}
			if len(fields[0]) > maxTextBytes {
				t.Fatalf("text of %d bytes", len(fields[0]))
			}
			checkInert(t, html, fields[1])
		}
	})
}

package email

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/anliegen/anliegen"
)

func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n"))
}

var received = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func mustParse(t *testing.T, raw []byte) anliegen.Item {
	t.Helper()
	it, err := Parse(raw, ParseOptions{Received: received, OwnAddress: "buergerservice@musterstadt.example"})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return it
}

func TestParseEncodedSubjectsAndNames(t *testing.T) {
	tests := []struct {
		name, subject, from, wantSubject, wantName string
	}{
		{"iso-8859-1 q", "=?ISO-8859-1?Q?M=FCllabfuhr_f=E4llt_aus?=", "=?ISO-8859-1?Q?J=FCrgen_M=FCller?= <jm@example.org>", "Müllabfuhr fällt aus", "Jürgen Müller"},
		{"utf-8 b", "=?UTF-8?B?U3RyYcOfZW5iZWxldWNodHVuZyBkZWZla3Q=?=", "=?UTF-8?B?w5Z6ZGVtaXIgWcSxbG1heg==?= <oy@example.org>", "Straßenbeleuchtung defekt", "Özdemir Yılmaz"},
		{"windows-1252 q", "=?windows-1252?Q?Geb=FChren_=96_R=FCckfrage?=", "Anna <anna@example.org>", "Gebühren – Rückfrage", "Anna"},
		{"split words", "=?UTF-8?Q?Baustelle_in_der?= =?UTF-8?Q?_Gartenstra=C3=9Fe?=", "b@example.org", "Baustelle in der Gartenstraße", ""},
		{"raw latin-1 bytes", "Anfrage zur Gr\xfcnschnittabfuhr", "c@example.org", "Anfrage zur Grünschnittabfuhr", ""},
		{"raw utf-8", "Öffnungszeiten Bürgerbüro", "d@example.org", "Öffnungszeiten Bürgerbüro", ""},
		{"broken encoded word", "=?UTF-8?Q?kaputt", "e@example.org", "=?UTF-8?Q?kaputt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := mustParse(t, crlf("From: "+tt.from+"\nSubject: "+tt.subject+"\nMessage-ID: <x@example.org>\n\nText\n"))
			if it.Subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", it.Subject, tt.wantSubject)
			}
			if it.Author.Name != tt.wantName {
				t.Errorf("name = %q, want %q", it.Author.Name, tt.wantName)
			}
		})
	}
}

func TestParseLegacyCharsetBody(t *testing.T) {
	it := mustParse(t, crlf(`From: a@example.org
Message-ID: <l1@example.org>
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Sehr geehrte Damen und Herren, die Stra=DFe ist gesperrt. Gr=FC=DFe
`))
	if want := "Sehr geehrte Damen und Herren, die Straße ist gesperrt. Grüße"; it.Text != want {
		t.Errorf("text = %q, want %q", it.Text, want)
	}
}

func TestParseHTMLOnly(t *testing.T) {
	it := mustParse(t, crlf(`From: Max Beispiel <max@example.org>
Subject: Spielplatz
Message-ID: <h1@example.org>
Content-Type: text/html; charset=utf-8

<html><head><title>x</title><style>p{color:red}</style></head><body>
<p>Guten&nbsp;Tag,</p><p>auf dem <b>Spielplatz</b> Lindenweg ist die Schaukel kaputt.</p>
<ul><li>Seit Montag</li><li>Foto: <a href="https://example.org/foto.jpg">hier</a></li></ul>
<script>alert(1)</script><div>Gruß<br>Max</div></body></html>
`))
	want := "Guten Tag,\n\nauf dem Spielplatz Lindenweg ist die Schaukel kaputt.\n\n- Seit Montag\n- Foto: hier (https://example.org/foto.jpg)\n\nGruß\nMax"
	if it.Text != want {
		t.Errorf("text =\n%q\nwant\n%q", it.Text, want)
	}
	if !strings.Contains(it.HTML, "<b>Spielplatz</b>") {
		t.Errorf("html not kept: %q", it.HTML)
	}
}

func TestParseAlternativePrefersPlainAndListsAttachments(t *testing.T) {
	it := mustParse(t, crlf(`From: a@example.org
Reply-To: "Familie Schmidt" <Schmidt.Familie@Example.ORG>
Message-ID: <alt@example.org>
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

Klartext gewinnt.
--inner
Content-Type: text/html; charset=utf-8

<p>HTML verliert.</p>
--inner--
--outer
Content-Type: application/pdf; name="antrag.pdf"
Content-Disposition: attachment; filename="=?UTF-8?Q?Antrag_M=C3=BCller.pdf?="
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer
Content-Type: image/jpeg
Content-Disposition: inline; filename="../../foto.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQ
--outer--
`))
	if it.Text != "Klartext gewinnt." {
		t.Errorf("text = %q", it.Text)
	}
	if it.HTML != "<p>HTML verliert.</p>" {
		t.Errorf("html = %q", it.HTML)
	}
	want := []anliegen.Attachment{
		{Name: "Antrag Müller.pdf", MIMEType: "application/pdf", Size: 9},
		{Name: "foto.jpg", MIMEType: "image/jpeg", Size: 6},
	}
	if len(it.Attachments) != len(want) {
		t.Fatalf("attachments = %+v", it.Attachments)
	}
	for i := range want {
		if it.Attachments[i] != want[i] {
			t.Errorf("attachment %d = %+v, want %+v", i, it.Attachments[i], want[i])
		}
	}
	if it.Author.ExternalID != "schmidt.familie@example.org" || it.Author.Name != "Familie Schmidt" {
		t.Errorf("author = %+v (Reply-To must win)", it.Author)
	}
}

func TestParseAutoReply(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   bool
	}{
		{"plain citizen mail", "From: a@example.org\n", false},
		{"auto-submitted no", "From: a@example.org\nAuto-Submitted: no\n", false},
		{"auto-replied", "From: a@example.org\nAuto-Submitted: auto-replied\n", true},
		{"auto-generated", "From: a@example.org\nAuto-Submitted: auto-generated\n", true},
		{"precedence bulk", "From: a@example.org\nPrecedence: bulk\n", true},
		{"precedence list", "From: a@example.org\nPrecedence: list\n", true},
		{"precedence junk", "From: a@example.org\nPrecedence: junk\n", true},
		{"precedence auto_reply", "From: a@example.org\nPrecedence: auto_reply\n", true},
		{"list-id", "From: a@example.org\nList-Id: <newsletter.example.org>\n", true},
		{"null return-path", "Return-Path: <>\nFrom: a@example.org\n", true},
		{"mailer-daemon", "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n", true},
		{"postmaster", "From: postmaster@example.org\n", true},
		{"report", "From: a@example.org\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := mustParse(t, crlf(tt.header+"Message-ID: <ar@example.org>\n\nText\n"))
			if it.AutoReply != tt.want {
				t.Errorf("AutoReply = %v, want %v", it.AutoReply, tt.want)
			}
		})
	}
}

func TestParseMissingMessageIDIsStable(t *testing.T) {
	mail := "From: a@example.org\nTo: b@example.org\nSubject: ohne ID\nDate: Tue, 24 Nov 2026 12:00:00 +0100\n\nText\n"
	a := mustParse(t, crlf(mail))
	// A relay adding a Received header must not change the id.
	b := mustParse(t, crlf("Received: from mx.example.org by imap.example.org\n"+mail))
	c := mustParse(t, crlf(strings.Replace(mail, "Text", "Anderer Text", 1)))
	if a.ExternalID != b.ExternalID || !strings.HasPrefix(a.ExternalID, "anliegen-hash-") {
		t.Errorf("ids %q and %q, want equal hash ids", a.ExternalID, b.ExternalID)
	}
	if a.ExternalID == c.ExternalID {
		t.Error("different bodies got the same id")
	}
	if a.ThreadID != a.ExternalID {
		t.Errorf("thread = %q, want own id", a.ThreadID)
	}
}

func TestParseDates(t *testing.T) {
	tests := []struct {
		date string
		want time.Time
	}{
		{"Mon, 23 Nov 2026 08:30:00 +0100", time.Date(2026, 11, 23, 7, 30, 0, 0, time.UTC)},
		{"", received},
		{"gestern", received},
		{"Mon, 23 Nov 2099 08:30:00 +0100", received}, // wrong clock
	}
	for _, tt := range tests {
		it := mustParse(t, crlf("From: a@example.org\nDate: "+tt.date+"\nMessage-ID: <d@example.org>\n\nText\n"))
		if !it.CreatedAt.Equal(tt.want) || it.CreatedAt.Location() != time.UTC {
			t.Errorf("Date %q -> %v, want %v UTC", tt.date, it.CreatedAt, tt.want)
		}
	}
}

func TestParseThreadingLenient(t *testing.T) {
	it := mustParse(t, crlf(`From: a@example.org
Message-ID: <c@example.org>
In-Reply-To: b@example.org
References: <a@example.org> (Kommentar)
	<b@example.org><b@example.org>
`+"\nText\n"))
	if it.ParentID != "b@example.org" || it.ThreadID != "a@example.org" || len(it.References) != 2 {
		t.Errorf("parent %q thread %q refs %v", it.ParentID, it.ThreadID, it.References)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, raw := range []string{"", "Subject: kein Absender\r\n\r\nText", "From: niemand\r\n\r\nText"} {
		if _, err := Parse([]byte(raw), ParseOptions{}); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", raw)
		}
	}
}

func TestReplySubject(t *testing.T) {
	tests := map[string]string{
		"Laterne defekt":          "Re: Laterne defekt",
		"Re: Laterne defekt":      "Re: Laterne defekt",
		"AW: Re: Laterne defekt":  "Re: Laterne defekt",
		"RE[2]: aw:Laterne":       "Re: Laterne",
		"WG: Laterne":             "Re: WG: Laterne",
		"":                        "Re: Ihre Anfrage",
		"Antw: Reparatur Rathaus": "Re: Reparatur Rathaus",
	}
	for in, want := range tests {
		if got := replySubject(in); got != want {
			t.Errorf("replySubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(crlf("From: a@example.org\nSubject: =?ISO-8859-1?Q?M=FCll?=\nMessage-ID: <x@y>\n\nText\n"))
	f.Add(crlf("From: a@example.org\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n"))
	f.Add(crlf("From: a@example.org\nContent-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: base64\n\n!!!\n"))
	f.Add([]byte("From: \xff\xfe@\x00\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		it, err := Parse(raw, ParseOptions{Received: received})
		if err != nil {
			return
		}
		for name, s := range map[string]string{"text": it.Text, "html": it.HTML, "subject": it.Subject, "name": it.Author.Name,
			"id": it.ExternalID, "thread": it.ThreadID, "parent": it.ParentID, "author": it.Author.ExternalID} {
			if !utf8.ValidString(s) {
				t.Errorf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if err := it.Validate(); err != nil {
			t.Errorf("parsed item invalid: %v", err)
		}
	})
}

func TestParseJoinsSplitText(t *testing.T) {
	it := mustParse(t, crlf(`From: a@example.org
Message-ID: <split@example.org>
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain; charset=utf-8

Hier das Foto vom Schlagloch:
--m
Content-Type: image/png
Content-Disposition: inline

PNG
--m
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain; charset=utf-8

Es ist etwa 30 cm breit.
--a
Content-Type: text/plain; charset=utf-8

doppelt, darf nicht erscheinen
--a--
--m--
`))
	if want := "Hier das Foto vom Schlagloch:\n\nEs ist etwa 30 cm breit."; it.Text != want {
		t.Errorf("text = %q, want %q", it.Text, want)
	}
	if len(it.Attachments) != 1 || it.Attachments[0].Name != "unbenannt" {
		t.Errorf("attachments = %+v", it.Attachments)
	}
}

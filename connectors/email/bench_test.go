package email_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/mail"
	"testing"

	"github.com/anliegen/anliegen/connectors/email"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// benchMails are the shapes that reach a town's mailbox: plain text, a
// client's multipart/alternative with an attachment, HTML-only with a
// legacy charset.
func benchMails() map[string][]byte {
	return map[string][]byte{
		"plain": citizenMail(1, ""),
		"alternative+pdf": crlf(`From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.org>
Subject: =?UTF-8?B?U3RyYcOfZW5iZWxldWNodHVuZyBkZWZla3Q=?=
Message-ID: <alt@example.org>
References: <a@example.org> <b@example.org>
In-Reply-To: <b@example.org>
Content-Type: multipart/mixed; boundary="o"

--o
Content-Type: multipart/alternative; boundary="i"

--i
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Sehr geehrte Damen und Herren, in der Gartenstra=C3=9Fe ist seit Montag die
Beleuchtung aus. Bitte pr=C3=BCfen Sie das. Mit freundlichen Gr=C3=BC=C3=9Fen
--i
Content-Type: text/html; charset=utf-8

<p>Sehr geehrte Damen und Herren, in der Gartenstraße ist seit Montag die Beleuchtung aus.</p>
--i--
--o
Content-Type: application/pdf; name="foto.pdf"
Content-Disposition: attachment; filename="foto.pdf"
Content-Transfer-Encoding: base64

` + string(bytes.Repeat([]byte("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVy\n"), 200)) + `--o--
`),
		"html-latin1": crlf(`From: info@example.org
Subject: =?ISO-8859-1?Q?M=FCllabfuhr?=
Message-ID: <html@example.org>
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<html><body><p>Guten Tag,</p><p>die M=FCllabfuhr kam nicht.</p><ul><li>Stra=DFe: Lindenweg</li><li>Seit: Montag</li></ul><p>Gr=FC=DFe</p></body></html>
`),
	}
}

// BenchmarkParse measures Parse against a baseline that only reads the
// header and the body bytes with net/mail.
func BenchmarkParse(b *testing.B) {
	for name, raw := range benchMails() {
		b.Run("baseline-netmail/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				m, err := mail.ReadMessage(bytes.NewReader(raw))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, m.Body)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
		})
		b.Run("parse/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := email.Parse(raw, email.ParseOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}

const benchPollMails = 2000

// BenchmarkPoll polls 2,000 mails from a real Dovecot from an empty cursor
// (batches of 200), against a baseline that only fetches the same bodies
// with one UID FETCH 1:* and parses nothing.
func BenchmarkPoll(b *testing.B) {
	r := newRig(b, nil)
	raws := make([][]byte, benchPollMails)
	kinds := benchMails()
	names := []string{"plain", "alternative+pdf", "html-latin1"}
	for i := range raws {
		raws[i] = bytes.Replace(kinds[names[i%3]], []byte("@example.org>"), fmt.Appendf(nil, "-%d@example.org>", i), 1)
	}
	r.imap.AppendMany(b, "INBOX", raws)

	b.Run("baseline-fetch", func(b *testing.B) {
		for b.Loop() {
			c, err := imapclient.DialInsecure(r.imap.Addr, nil)
			if err != nil {
				b.Fatal(err)
			}
			c.Login(r.imap.User, r.imap.Password).Wait()
			c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
			msgs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
			if err != nil || len(msgs) != benchPollMails {
				b.Fatalf("fetched %d: %v", len(msgs), err)
			}
			c.Logout().Wait()
			c.Close()
		}
		b.ReportMetric(float64(b.N*benchPollMails)/b.Elapsed().Seconds(), "mails/s")
	})
	b.Run("poll", func(b *testing.B) {
		c, err := email.New(r.ch, nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			n, cursor := 0, ""
			for {
				res, err := c.Poll(context.Background(), cursor)
				if err != nil {
					b.Fatal(err)
				}
				n += len(res.Items)
				cursor = res.Cursor
				if !res.More {
					break
				}
			}
			if n != benchPollMails {
				b.Fatalf("polled %d mails, want %d", n, benchPollMails)
			}
		}
		b.ReportMetric(float64(b.N*benchPollMails)/b.Elapsed().Seconds(), "mails/s")
	})
}

package email_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/connectors/email/emailtest"
)

// crlf turns a readable test mail into wire format.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n"))
}

type rig struct {
	imap *emailtest.Dovecot
	smtp *emailtest.SMTPSink
	ch   anliegen.Channel
}

// newRig starts Dovecot and an SMTP sink and returns a channel for them.
func newRig(t testing.TB, mutate func(*email.Settings)) *rig {
	t.Helper()
	r := &rig{imap: emailtest.StartDovecot(t), smtp: emailtest.StartSMTP(t)}
	s := email.Settings{
		IMAPAddr: r.imap.Addr, IMAPTLS: email.TLSNone, IMAPUsername: r.imap.User,
		SMTPAddr: r.smtp.Addr, SMTPTLS: email.TLSNone, SMTPUsername: r.smtp.User,
		FromAddress: "buergerservice@musterstadt.example", FromName: "Bürgerservice Musterstadt",
		SentMailbox: "Sent",
	}
	if mutate != nil {
		mutate(&s)
	}
	settings, _ := json.Marshal(s)
	secret, _ := json.Marshal(email.Secret{IMAPPassword: r.imap.Password, SMTPPassword: r.smtp.Password})
	r.ch = anliegen.Channel{ID: 7, Platform: anliegen.PlatformEmail, Settings: settings, Secret: secret, CreatedAt: time.Now()}
	return r
}

func (r *rig) connector(t *testing.T) *email.Connector {
	t.Helper()
	c, err := email.New(r.ch, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// pollAll polls until More is false and returns all items and the cursor.
func pollAll(t *testing.T, c *email.Connector, cursor string) ([]anliegen.Item, []anliegen.Skipped, string) {
	t.Helper()
	var items []anliegen.Item
	var skipped []anliegen.Skipped
	for range 1000 {
		res, err := c.Poll(context.Background(), cursor)
		if err != nil {
			t.Fatalf("Poll(%q): %v", cursor, err)
		}
		items = append(items, res.Items...)
		skipped = append(skipped, res.Skipped...)
		cursor = res.Cursor
		if !res.More {
			return items, skipped, cursor
		}
	}
	t.Fatal("Poll never finished")
	return nil, nil, ""
}

func ids(items []anliegen.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ExternalID)
	}
	return out
}

func citizenMail(n int, extra string) []byte {
	return crlf(fmt.Sprintf(`From: Erika Mustermann <erika.mustermann@example.org>
To: buergerservice@musterstadt.example
Subject: Anfrage %d
Date: Mon, 23 Nov 2026 10:%02d:00 +0100
Message-ID: <anfrage-%d@example.org>
%sContent-Type: text/plain; charset=utf-8

Guten Tag, das ist Anfrage Nummer %d.
`, n, n%60, n, extra, n))
}

func TestPollThreeMailConversation(t *testing.T) {
	r := newRig(t, nil)
	r.imap.AppendMany(t, "INBOX", [][]byte{
		crlf(`From: Erika Mustermann <Erika.Mustermann@Example.org>
To: buergerservice@musterstadt.example
Subject: Laterne defekt in der Hauptstraße
Date: Mon, 23 Nov 2026 08:00:00 +0100
Message-ID: <m1@example.org>
Content-Type: text/plain; charset=utf-8

Die Laterne vor Hausnummer 12 ist seit Tagen aus.
`),
		crlf(`From: Bürgerservice <buergerservice@musterstadt.example>
To: erika.mustermann@example.org
Subject: Re: Laterne defekt in der Hauptstraße
Date: Mon, 23 Nov 2026 09:00:00 +0100
Message-ID: <m2@musterstadt.example>
In-Reply-To: <m1@example.org>
References: <m1@example.org>
Content-Type: text/plain; charset=utf-8

Danke, wir haben den Bauhof informiert.
`),
		crlf(`From: Erika Mustermann <erika.mustermann@example.org>
To: buergerservice@musterstadt.example
Subject: AW: Re: Laterne defekt in der Hauptstraße
Date: Mon, 23 Nov 2026 10:00:00 +0100
Message-ID: <m3@example.org>
In-Reply-To: <m2@musterstadt.example>
References: <m1@example.org>
 <m2@musterstadt.example>
Content-Type: text/plain; charset=utf-8

Sie brennt wieder, vielen Dank!
`),
	})
	items, skipped, _ := pollAll(t, r.connector(t), "")
	if len(skipped) != 0 || len(items) != 3 {
		t.Fatalf("got %d items, %d skipped; want 3, 0", len(items), len(skipped))
	}
	want := []struct {
		id, parent, thread string
		refs               int
		fromUs             bool
	}{
		{"m1@example.org", "", "m1@example.org", 0, false},
		{"m2@musterstadt.example", "m1@example.org", "m1@example.org", 1, true},
		{"m3@example.org", "m2@musterstadt.example", "m1@example.org", 2, false},
	}
	for i, w := range want {
		it := items[i]
		if it.ExternalID != w.id || it.ParentID != w.parent || it.ThreadID != w.thread || len(it.References) != w.refs || it.FromUs != w.fromUs {
			t.Errorf("item %d = id %q parent %q thread %q refs %v fromUs %v; want %+v", i, it.ExternalID, it.ParentID, it.ThreadID, it.References, it.FromUs, w)
		}
		if err := it.Validate(); err != nil {
			t.Errorf("item %d invalid: %v", i, err)
		}
	}
	if got := items[0].Author.ExternalID; got != "erika.mustermann@example.org" {
		t.Errorf("author external id = %q, want lower-cased address", got)
	}
	if got := items[0].Subject; got != "Laterne defekt in der Hauptstraße" {
		t.Errorf("subject = %q", got)
	}
	if got := items[2].CreatedAt; !got.Equal(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("created_at = %v, want 09:00 UTC", got)
	}
}

func TestPollNothingNewTwice(t *testing.T) {
	r := newRig(t, nil)
	r.imap.AppendMany(t, "INBOX", [][]byte{citizenMail(1, ""), citizenMail(2, "")})
	c := r.connector(t)
	items, _, cur := pollAll(t, c, "")
	if len(items) != 2 {
		t.Fatalf("first poll: %d items, want 2", len(items))
	}
	for i := range 2 {
		res, err := c.Poll(context.Background(), cur)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 0 || res.More || res.Cursor != cur {
			t.Fatalf("poll %d with nothing new: %d items, more %v, cursor %q -> %q", i+2, len(res.Items), res.More, cur, res.Cursor)
		}
	}
	r.imap.Append(t, "INBOX", citizenMail(3, ""))
	items, _, _ = pollAll(t, c, cur)
	if got := ids(items); len(got) != 1 || got[0] != "anfrage-3@example.org" {
		t.Fatalf("after a new mail: %v, want only anfrage-3", got)
	}
}

// The n:* quirk: when the only new UID was expunged before the poll,
// "UID FETCH n:*" returns the highest existing message (UID n-1), which
// must not come back as new.
func TestPollHighestUIDQuirk(t *testing.T) {
	r := newRig(t, nil)
	r.imap.AppendMany(t, "INBOX", [][]byte{citizenMail(1, ""), citizenMail(2, "")})
	c := r.connector(t)
	_, _, cur := pollAll(t, c, "")
	uid := r.imap.Append(t, "INBOX", citizenMail(3, ""))
	r.imap.Expunge(t, "INBOX", uid)
	res, err := c.Poll(context.Background(), cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 0 {
		t.Fatalf("got %v, want no items", ids(res.Items))
	}
	if res.Cursor == cur {
		t.Errorf("cursor %q did not move past the expunged UID", cur)
	}
	res, err = c.Poll(context.Background(), res.Cursor)
	if err != nil || len(res.Items) != 0 {
		t.Fatalf("next poll: %v items, err %v", ids(res.Items), err)
	}
}

func TestPollBatches(t *testing.T) {
	r := newRig(t, func(s *email.Settings) { s.BatchSize = 4 })
	var raws [][]byte
	for i := range 10 {
		raws = append(raws, citizenMail(i, ""))
	}
	r.imap.AppendMany(t, "INBOX", raws)
	c := r.connector(t)
	res, err := c.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 4 || !res.More {
		t.Fatalf("first batch: %d items, more %v; want 4, true", len(res.Items), res.More)
	}
	rest, _, _ := pollAll(t, c, res.Cursor)
	all := append(res.Items, rest...)
	if len(all) != 10 {
		t.Fatalf("got %d items over all batches, want 10", len(all))
	}
	for i, it := range all {
		if want := fmt.Sprintf("anfrage-%d@example.org", i); it.ExternalID != want {
			t.Errorf("item %d = %q, want %q (arrival order)", i, it.ExternalID, want)
		}
	}
}

func TestPollUIDValidityChangeRescans(t *testing.T) {
	const box = "Buergerservice"
	r := newRig(t, func(s *email.Settings) { s.Mailbox = box })
	raws := [][]byte{citizenMail(1, ""), crlf(`From: anonym@example.net
Subject: ohne Kennung
Date: Tue, 24 Nov 2026 12:00:00 +0100

Diese Mail hat keine Message-ID.
`)}
	r.imap.AppendMany(t, box, raws)
	c := r.connector(t)
	first, _, cur := pollAll(t, c, "")
	oldValidity := r.imap.UIDValidity(t, box)

	r.imap.DeleteMailbox(t, box)
	r.imap.AppendMany(t, box, append(raws, citizenMail(3, ""))) // restored, plus one new
	if v := r.imap.UIDValidity(t, box); v == oldValidity {
		t.Fatalf("UIDVALIDITY did not change (%d)", v)
	}
	again, _, _ := pollAll(t, c, cur)
	if len(again) != 3 {
		t.Fatalf("re-scan got %v, want 3 items", ids(again))
	}
	for i := range first {
		if again[i].ExternalID != first[i].ExternalID {
			t.Errorf("re-scan id %d = %q, want %q (stable)", i, again[i].ExternalID, first[i].ExternalID)
		}
	}
	if !strings.HasPrefix(first[1].ExternalID, "anliegen-hash-") {
		t.Errorf("mail without Message-ID got id %q", first[1].ExternalID)
	}
}

func TestPollSkipsMalformed(t *testing.T) {
	r := newRig(t, nil)
	r.imap.AppendMany(t, "INBOX", [][]byte{
		crlf("Subject: kein Absender\nDate: Tue, 24 Nov 2026 12:00:00 +0100\n\nWer hat das geschrieben?\n"),
		citizenMail(2, ""),
	})
	items, skipped, cur := pollAll(t, r.connector(t), "")
	if len(items) != 1 || len(skipped) != 1 {
		t.Fatalf("got %d items, %d skipped; want 1, 1", len(items), len(skipped))
	}
	if skipped[0].ID != "uid:1" || !strings.Contains(skipped[0].Reason, "no sender") {
		t.Errorf("skipped = %+v", skipped[0])
	}
	if !strings.HasSuffix(cur, ":2") {
		t.Errorf("cursor %q did not move past the malformed message", cur)
	}
}

func TestPollAutoReplyMarked(t *testing.T) {
	r := newRig(t, nil)
	r.imap.Append(t, "INBOX", crlf(`From: Hans Beispiel <hans@example.org>
To: buergerservice@musterstadt.example
Subject: Abwesenheitsnotiz: Ihre Anfrage
Date: Tue, 24 Nov 2026 12:00:00 +0100
Message-ID: <ooo-1@example.org>
Auto-Submitted: auto-replied
In-Reply-To: <anliegen-out-5@musterstadt.example>

Ich bin bis zum 1. Dezember nicht im Büro.
`))
	items, _, _ := pollAll(t, r.connector(t), "")
	if len(items) != 1 || !items[0].AutoReply {
		t.Fatalf("items = %+v, want one auto-reply", items)
	}
}

func TestPollBadPasswordIsAuthError(t *testing.T) {
	r := newRig(t, nil)
	r.ch.Secret = []byte(`{"imap_password":"falsch"}`)
	_, err := r.connector(t).Poll(context.Background(), "")
	if kind := anliegen.PlatformErrorKindOf(err); kind != anliegen.ErrAuth {
		t.Fatalf("err = %v (kind %s), want auth", err, kind)
	}
}

func TestPollMissingMailboxIsPermanent(t *testing.T) {
	r := newRig(t, func(s *email.Settings) { s.Mailbox = "Gibtsnicht" })
	_, err := r.connector(t).Poll(context.Background(), "")
	if kind := anliegen.PlatformErrorKindOf(err); kind != anliegen.ErrPermanent {
		t.Fatalf("err = %v (kind %s), want permanent", err, kind)
	}
}

func TestConnectionTest(t *testing.T) {
	r := newRig(t, nil)
	if err := email.Test(context.Background(), r.ch.Settings, r.ch.Secret); err != nil {
		t.Fatalf("Test with good settings: %v", err)
	}
	bad, _ := json.Marshal(email.Secret{IMAPPassword: r.imap.Password, SMTPPassword: "falsch"})
	if err := email.Test(context.Background(), r.ch.Settings, bad); anliegen.PlatformErrorKindOf(err) != anliegen.ErrAuth {
		t.Fatalf("Test with bad SMTP password: %v, want auth error", err)
	}
	if err := email.Test(context.Background(), json.RawMessage(`{"imap_addr":"x"}`), nil); anliegen.ErrorCode(err) != anliegen.EInvalid {
		t.Fatalf("Test with bad settings: %v, want invalid", err)
	}
}

// A mail above max_message_bytes is fetched only in part: the text, which
// comes first, still becomes an item instead of the mail being lost.
func TestPollLargeMailIsCut(t *testing.T) {
	r := newRig(t, func(s *email.Settings) { s.MaxMessageBytes = 4096 })
	big := crlf(`From: a@example.org
Subject: Bauantrag mit Plänen
Message-ID: <gross@example.org>
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Anbei die Pläne zu meinem Bauantrag.
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename="plan.pdf"
Content-Transfer-Encoding: base64

` + strings.Repeat("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVy\n", 2000) + `--b--
`)
	r.imap.Append(t, "INBOX", big)
	items, skipped, _ := pollAll(t, r.connector(t), "")
	if len(items) != 1 || len(skipped) != 0 {
		t.Fatalf("got %d items, %d skipped", len(items), len(skipped))
	}
	if items[0].Text != "Anbei die Pläne zu meinem Bauantrag." || items[0].ExternalID != "gross@example.org" {
		t.Errorf("item = %q %q", items[0].ExternalID, items[0].Text)
	}
	if a := items[0].Attachments; len(a) != 1 || a[0].Name != "plan.pdf" || a[0].Size != 0 {
		t.Errorf("attachments = %+v, want the cut attachment listed with unknown size", a)
	}
}

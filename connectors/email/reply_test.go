package email_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/emersion/go-message/mail"
)

func outbound(id int64) anliegen.OutboundMessage {
	return anliegen.OutboundMessage{
		ID: id, TicketID: 3, ChannelID: 7, Kind: anliegen.KindMail,
		Text:       "Sehr geehrte Frau Müller,\n\nder Bauhof tauscht die Lampe morgen.\n\nMit freundlichen Grüßen\nIhr Bürgerservice",
		InReplyTo:  "m3@example.org",
		References: []string{"m1@example.org", "m2@musterstadt.example"},
		ThreadID:   "m1@example.org",
		Subject:    "AW: Re: Laterne defekt in der Hauptstraße",
		Recipient:  anliegen.Author{ExternalID: "erika.mustermann@example.org", Handle: "Erika.Mustermann@example.org", Name: "Erika Müller"},
	}
}

func TestReplyHeaders(t *testing.T) {
	r := newRig(t, nil)
	c := r.connector(t)
	id, err := c.Reply(context.Background(), outbound(42))
	if err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if id != "anliegen-out-42@musterstadt.example" {
		t.Errorf("external id = %q", id)
	}
	sent := r.smtp.Messages()
	if len(sent) != 1 {
		t.Fatalf("sink got %d messages, want 1", len(sent))
	}
	if sent[0].From != "buergerservice@musterstadt.example" || len(sent[0].To) != 1 || sent[0].To[0] != "Erika.Mustermann@example.org" {
		t.Errorf("envelope from %q to %v", sent[0].From, sent[0].To)
	}
	raw := sent[0].Data
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read sent mail: %v", err)
	}
	h := mr.Header
	checks := map[string]string{
		"Message-Id":                "<anliegen-out-42@musterstadt.example>",
		"In-Reply-To":               "<m3@example.org>",
		"References":                "<m1@example.org> <m2@musterstadt.example> <m3@example.org>",
		"Auto-Submitted":            "no",
		"Content-Transfer-Encoding": "quoted-printable",
	}
	for k, want := range checks {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if subj, _ := h.Subject(); subj != "Re: Laterne defekt in der Hauptstraße" {
		t.Errorf("subject = %q", subj)
	}
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?") {
		t.Errorf("raw subject %q is not an encoded word", raw)
	}
	if to, _ := h.AddressList("To"); len(to) != 1 || to[0].Name != "Erika Müller" || to[0].Address != "Erika.Mustermann@example.org" {
		t.Errorf("To = %v", to)
	}
	if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Name != "Bürgerservice Musterstadt" {
		t.Errorf("From = %v", from)
	}
	if ct, params, _ := h.ContentType(); ct != "text/plain" || params["charset"] != "utf-8" {
		t.Errorf("content type %q %v", ct, params)
	}
	if d, err := h.Date(); err != nil || d.IsZero() {
		t.Errorf("date: %v %v", d, err)
	}
	if bytes.Contains(raw, []byte("Grüßen")) {
		t.Error("body contains raw 8-bit text; want quoted-printable")
	}
	part, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(part.Body)
	if want := strings.ReplaceAll(outbound(42).Text, "\n", "\r\n"); strings.TrimRight(string(body), "\r\n") != want {
		t.Errorf("body = %q, want %q", body, want)
	}

	// Read back as the store would: the reply threads into the conversation.
	it, err := email.Parse(raw, email.ParseOptions{OwnAddress: "buergerservice@musterstadt.example"})
	if err != nil {
		t.Fatal(err)
	}
	if it.ExternalID != id || it.ParentID != "m3@example.org" || it.ThreadID != "m1@example.org" || !it.FromUs || it.AutoReply {
		t.Errorf("parsed reply = %+v", it)
	}
	if got := r.imap.Search(t, "Sent", "Message-ID", "anliegen-out-42@musterstadt.example"); len(got) != 1 {
		t.Errorf("Sent holds %d copies, want 1", len(got))
	}
}

func TestReplySMTPErrors(t *testing.T) {
	tests := []struct {
		code int
		kind anliegen.PlatformErrorKind
	}{
		{421, anliegen.ErrTemporary},
		{450, anliegen.ErrTemporary},
		{451, anliegen.ErrTemporary},
		{452, anliegen.ErrTemporary},
		{550, anliegen.ErrPermanent},
		{552, anliegen.ErrPermanent},
		{554, anliegen.ErrPermanent},
	}
	r := newRig(t, func(s *email.Settings) { s.SentMailbox = "" })
	c := r.connector(t)
	for _, tt := range tests {
		r.smtp.FailNext(tt.code, "Testfehler")
		_, err := c.Reply(context.Background(), outbound(int64(tt.code)))
		var pe *anliegen.PlatformError
		if !errors.As(err, &pe) || pe.Kind != tt.kind || pe.Status != tt.code {
			t.Errorf("SMTP %d: err = %v, want %s with status %d", tt.code, err, tt.kind, tt.code)
		}
	}
	if n := len(r.smtp.Messages()); n != 0 {
		t.Errorf("sink accepted %d messages, want 0", n)
	}
}

func TestReplyRetryAfterTemporaryFailure(t *testing.T) {
	r := newRig(t, nil)
	c := r.connector(t)
	r.smtp.FailNext(451, "Greylisting, bitte später")
	m := outbound(43)
	m.Attempts = 1
	if _, err := c.Reply(context.Background(), m); anliegen.PlatformErrorKindOf(err) != anliegen.ErrTemporary {
		t.Fatalf("first attempt: %v, want temporary", err)
	}
	m.Attempts = 2
	id, err := c.Reply(context.Background(), m)
	if err != nil || id != "anliegen-out-43@musterstadt.example" {
		t.Fatalf("retry: %q, %v", id, err)
	}
	if n := len(r.smtp.Messages()); n != 1 {
		t.Fatalf("sink got %d messages, want 1", n)
	}
}

// A crash after SMTP accepted the mail but before MarkSent: the retried
// reply finds its copy in Sent and is not sent twice.
func TestReplyCrashAfterSendReadsBackFromSent(t *testing.T) {
	r := newRig(t, nil)
	c := r.connector(t)
	m := outbound(44)
	m.Attempts = 1
	first, err := c.Reply(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	// The process "crashed" here; a new connector retries after the lease.
	m.Attempts = 2
	again, err := r.connector(t).Reply(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("retry returned %q, want %q", again, first)
	}
	if n := len(r.smtp.Messages()); n != 1 {
		t.Errorf("sink got %d messages, want exactly 1", n)
	}
	if got := r.imap.Search(t, "Sent", "Message-ID", first); len(got) != 1 {
		t.Errorf("Sent holds %d copies, want 1", len(got))
	}
}

func TestReplyWithoutAddressIsPermanent(t *testing.T) {
	r := newRig(t, nil)
	m := outbound(45)
	m.Recipient = anliegen.Author{Name: "Unbekannt"}
	if _, err := r.connector(t).Reply(context.Background(), m); anliegen.PlatformErrorKindOf(err) != anliegen.ErrPermanent {
		t.Fatalf("err = %v, want permanent", err)
	}
}

func TestReplySentCopyByServerAppendsNothing(t *testing.T) {
	r := newRig(t, func(s *email.Settings) { s.SentCopyByServer = true })
	r.imap.CreateMailbox(t, "Sent")
	id, err := r.connector(t).Reply(context.Background(), outbound(46))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.imap.Search(t, "Sent", "Message-ID", id); len(got) != 0 {
		t.Errorf("Sent holds %d copies, want none (the server files them)", len(got))
	}
}

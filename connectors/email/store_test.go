package email_test

import (
	"context"
	"testing"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/storage"
)

// End to end: a three-mail conversation polled from Dovecot and ingested
// into a real store becomes one ticket, and a re-scan after a UIDVALIDITY
// change stores nothing twice.
func TestConversationBecomesOneTicket(t *testing.T) {
	const box = "Buergerservice"
	r := newRig(t, func(s *email.Settings) { s.Mailbox = box })
	ctx := context.Background()
	db, err := storage.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ch := r.ch
	ch.ID, ch.Name, ch.Account, ch.Enabled = 0, "Bürgerservice-Postfach", "buergerservice@musterstadt.example", true
	if err := db.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	c, err := email.New(ch, nil)
	if err != nil {
		t.Fatal(err)
	}

	citizen := crlf(`From: Erika Mustermann <erika.mustermann@example.org>
To: buergerservice@musterstadt.example
Subject: =?ISO-8859-1?Q?Laterne_defekt_in_der_Hauptstra=DFe?=
Date: Mon, 23 Nov 2026 08:00:00 +0100
Message-ID: <m1@example.org>
Content-Type: text/plain; charset=utf-8

Die Laterne vor Hausnummer 12 ist seit Tagen aus.
`)
	r.imap.Append(t, box, citizen)
	items, _, cur := pollAll(t, c, "")
	ingest(t, db, ch.ID, items, cur, 1)

	// Staff answer through Anliegen; the citizen answers the answer.
	out := outbound(1)
	out.InReplyTo, out.References, out.Subject = items[0].ExternalID, items[0].References, items[0].Subject
	sentID, err := c.Reply(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	r.imap.Append(t, box, crlf(`From: Erika Mustermann <erika.mustermann@example.org>
To: buergerservice@musterstadt.example
Subject: AW: Re: Laterne defekt in der Hauptstraße
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <m3@example.org>
In-Reply-To: <`+sentID+`>
References: <m1@example.org> <`+sentID+`>
Content-Type: text/plain; charset=utf-8

Sie brennt wieder, vielen Dank!
`))
	// The town's reply also reaches the inbox (Bcc to the mailbox).
	r.imap.Append(t, box, r.smtp.Messages()[0].Data)
	items, _, cur = pollAll(t, c, cur)
	if len(items) != 2 {
		t.Fatalf("second poll: %v", ids(items))
	}
	ingest(t, db, ch.ID, items, cur, 0)

	page, err := db.ListTickets(ctx, anliegen.TicketFilter{Scope: anliegen.ScopeAll})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("got %d tickets, want 1", len(page.Items))
	}
	detail, err := db.TicketDetail(ctx, page.Items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(detail.Messages) != 3 {
		t.Fatalf("ticket has %d messages, want 3", len(detail.Messages))
	}
	if detail.Subject != "Laterne defekt in der Hauptstraße" {
		t.Errorf("ticket subject = %q", detail.Subject)
	}

	// Restore the mailbox: new UIDVALIDITY, same mails, nothing new stored.
	r.imap.DeleteMailbox(t, box)
	r.imap.AppendMany(t, box, [][]byte{citizen, r.smtp.Messages()[0].Data})
	items, _, _ = pollAll(t, c, cur)
	if len(items) != 2 {
		t.Fatalf("re-scan: %v", ids(items))
	}
	res, err := db.Ingest(ctx, ch.ID, items, cur)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Tickets != 0 || res.Unchanged != 2 {
		t.Errorf("re-scan ingest = %+v, want 2 unchanged", res)
	}
}

func ingest(t *testing.T, db *storage.DB, channelID int64, items []anliegen.Item, cursor string, wantTickets int) {
	t.Helper()
	res, err := db.Ingest(context.Background(), channelID, items, cursor)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if res.Created != len(items) || res.Tickets != wantTickets || res.Skipped != 0 {
		t.Fatalf("ingest = %+v, want %d created, %d tickets", res, len(items), wantTickets)
	}
}

package storage

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func ticketOf(tb testing.TB, db *DB, ext string) int64 {
	tb.Helper()
	var id int64
	if err := db.read().QueryRow(`SELECT ticket_id FROM messages WHERE external_id = ?`, ext).Scan(&id); err != nil {
		tb.Fatalf("ticket of %s: %v", ext, err)
	}
	return id
}

func TestOutboundQueue(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformEmail)
	first := mail("<m1@x>", "", nil, "anna@x.de", "Frage", t0)
	first.Author.Name = "Anna"
	second := mail("<m2@x>", "<m1@x>", []string{"<m1@x>"}, "anna@x.de", "Nachtrag", t0.Add(time.Hour))
	second.Subject = "Re: Anfrage"
	mustIngest(t, db, ch, []anliegen.Item{first, second}, "")
	tid := ticketOf(t, db, "<m1@x>")
	reply, err := db.CreateReply(ctx, tid, 0, "Sehr geehrte Frau Anna, ...")
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * time.Hour)
	db.now = func() time.Time { return now }

	got, err := db.ClaimOutbound(ctx, time.Now().Add(time.Minute), time.Minute, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %v, %v", got, err)
	}
	m := got[0]
	want := anliegen.OutboundMessage{ID: reply.ID, TicketID: tid, ChannelID: ch, Kind: anliegen.KindMail,
		Text: "Sehr geehrte Frau Anna, ...", InReplyTo: "<m2@x>", References: []string{"<m1@x>", "<m2@x>"},
		ThreadID: "<m1@x>", Subject: "Re: Anfrage", Recipient: anliegen.Author{ExternalID: "anna@x.de", Name: "Anna"}, Attempts: 1}
	if mj, wj := jsonOf(m), jsonOf(want); mj != wj {
		t.Errorf("claimed\n%s\nwant\n%s", mj, wj)
	}
	// Leased: a second sender gets nothing until the lease ends.
	if again, _ := db.ClaimOutbound(ctx, time.Now().Add(time.Minute), time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed twice: %v", again)
	}
	later := time.Now().Add(3 * time.Minute)
	if again, _ := db.ClaimOutbound(ctx, later, time.Minute, 10); len(again) != 1 || again[0].Attempts != 2 {
		t.Errorf("after the lease: %+v", again)
	}

	retry := later.Add(time.Hour)
	if err := db.MarkFailed(ctx, reply.ID, "HTTP 503", &retry); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.ClaimOutbound(ctx, retry.Add(-time.Second), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed before retry time")
	}
	if got, _ := db.ClaimOutbound(ctx, retry, time.Minute, 10); len(got) != 1 {
		t.Errorf("not claimed at retry time")
	}
	sentAt := t0.Add(3 * time.Hour)
	if err := db.MarkSent(ctx, reply.ID, "<r1@stadt>", sentAt); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, reply.ID, "<r1@stadt>", sentAt); err != nil {
		t.Errorf("repeated MarkSent: %v", err)
	}
	if err := db.MarkSent(ctx, reply.ID, "<other@stadt>", sentAt); anliegen.ErrorCode(err) != anliegen.EConflict {
		t.Errorf("MarkSent with another id: %v", err)
	}
	if err := db.MarkFailed(ctx, reply.ID, "x", nil); anliegen.ErrorCode(err) != anliegen.EConflict {
		t.Errorf("MarkFailed after sent: %v", err)
	}
	tk, err := db.Ticket(ctx, tid)
	if err != nil || tk.FirstResponseAt == nil || !tk.FirstResponseAt.Equal(sentAt) {
		t.Errorf("first response: %+v, %v", tk.FirstResponseAt, err)
	}
	types := eventTypes(t, db, tid)
	for _, w := range []anliegen.EventType{anliegen.EventReplyFailed, anliegen.EventReplySent} {
		if !slices.Contains(types, w) {
			t.Errorf("no %s event in %v", w, types)
		}
	}
	if err := db.MarkSent(ctx, 9999, "x", sentAt); anliegen.ErrorCode(err) != anliegen.ENotFound {
		t.Errorf("unknown reply: %v", err)
	}
	if err := db.MarkSent(ctx, ticketMsgID(t, db, "<m1@x>"), "x", sentAt); anliegen.ErrorCode(err) != anliegen.EConflict {
		t.Errorf("inbound message: %v", err)
	}
}

func TestOutboundPermanentFailure(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformMastodon)
	mustIngest(t, db, ch, []anliegen.Item{withThread(dm("a1", "u1", "Hallo", t0), "conv7")}, "")
	reply, err := db.CreateReply(ctx, ticketOf(t, db, "a1"), 0, "Antwort")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ClaimOutbound(ctx, time.Now(), time.Minute, 0)
	if err != nil || len(got) != 1 || got[0].ThreadID != "conv7" || got[0].InReplyTo != "a1" || got[0].Recipient.ExternalID != "u1" {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	if err := db.MarkFailed(ctx, reply.ID, "account suspended", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.ClaimOutbound(ctx, time.Now().Add(time.Hour), time.Minute, 0); len(got) != 0 {
		t.Errorf("failed reply claimed again")
	}
	var state, msg string
	db.read().QueryRow(`SELECT delivery_state, error FROM messages WHERE id = ?`, reply.ID).Scan(&state, &msg)
	if state != "failed" || msg != "account suspended" {
		t.Errorf("state %q error %q", state, msg)
	}
}

// TestSentReplySeenInFeed covers the race of invariant 1 between sender and
// poller: the poller stores our reply (FromUs) before MarkSent records its
// id. The reply must end as one row, the staff-written one.
func TestSentReplySeenInFeed(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	ch := newChannel(t, db, anliegen.PlatformMastodon)
	mustIngest(t, db, ch, []anliegen.Item{withThread(dm("a1", "u1", "Hallo", t0), "conv1")}, "")
	reply, err := db.CreateReply(ctx, ticketOf(t, db, "a1"), 0, "Antwort der Stadt")
	if err != nil {
		t.Fatal(err)
	}
	own := withThread(anliegen.Item{ExternalID: "r1", Kind: anliegen.KindDM, FromUs: true, Text: "@u1 Antwort der Stadt", CreatedAt: t0.Add(time.Minute)}, "conv1")
	mustIngest(t, db, ch, []anliegen.Item{own}, "")
	if err := db.MarkSent(ctx, reply.ID, "r1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, `SELECT count(*) FROM messages WHERE direction = 'out'`); n != 1 {
		t.Errorf("%d outbound rows, want 1", n)
	}
	// Polled again later: absorbed as a duplicate, not an edit.
	if res := mustIngest(t, db, ch, []anliegen.Item{own}, ""); res.Unchanged != 1 || res.Updated != 0 {
		t.Errorf("re-poll of own reply: %+v", res)
	}
	var text string
	db.read().QueryRow(`SELECT text FROM messages WHERE id = ?`, reply.ID).Scan(&text)
	if text != "Antwort der Stadt" {
		t.Errorf("reply text now %q", text)
	}
}

func TestThreadIDOf(t *testing.T) {
	for _, c := range []struct {
		key  string
		kind anliegen.Kind
		refs []string
		want string
	}{
		{"dm:conv1", anliegen.KindDM, nil, "conv1"},
		{"dm:@u1", anliegen.KindDM, nil, ""},
		{threadKey(&anliegen.Item{Kind: anliegen.KindComment, ThreadID: "post:9", Author: anliegen.Author{ExternalID: "u:1"}}), anliegen.KindComment, nil, "post:9"},
		{"c:99:x", anliegen.KindComment, nil, ""},
		{"", anliegen.KindMail, []string{"<root>", "<p>"}, "<root>"},
	} {
		if got := threadIDOf(c.key, c.kind, c.refs); got != c.want {
			t.Errorf("threadIDOf(%q) = %q, want %q", c.key, got, c.want)
		}
	}
}

func jsonOf(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

func ticketMsgID(tb testing.TB, db *DB, ext string) int64 {
	tb.Helper()
	var id int64
	if err := db.read().QueryRow(`SELECT id FROM messages WHERE external_id = ?`, ext).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	return id
}

func eventTypes(tb testing.TB, db *DB, ticketID int64) []anliegen.EventType {
	tb.Helper()
	rows, err := db.read().Query(`SELECT type FROM events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []anliegen.EventType
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, anliegen.EventType(s))
	}
	return out
}

package mastodon_test

import (
	"context"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

func TestReply(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	fredi := e.fake.AddAccount("fredi@nordlicht.social", "Fredi")
	comment, _ := e.fake.Mention(fredi, "Wann kommt der Sperrmüll?")
	dm, _ := e.fake.DirectMessage(fredi, "Meine Adresse: Hauptstraße 1")
	tests := []struct {
		name   string
		m      anliegen.OutboundMessage
		vis    string
		prefix string
	}{
		{"public comment", anliegen.OutboundMessage{ID: 7, Kind: anliegen.KindComment, InReplyTo: comment.ID, ThreadID: comment.ID,
			Text: "Am 12. März. ^AB", Recipient: anliegen.Author{Handle: "@fredi@nordlicht.social"}}, "public", "@fredi@nordlicht.social Am 12. März."},
		{"direct message", anliegen.OutboundMessage{ID: 8, Kind: anliegen.KindDM, InReplyTo: dm.ID,
			Text: "Danke, wir melden uns.", Recipient: anliegen.Author{Handle: "fredi@nordlicht.social"}}, "direct", "@fredi@nordlicht.social Danke"},
		{"mention already there", anliegen.OutboundMessage{ID: 9, Kind: anliegen.KindComment, InReplyTo: comment.ID,
			Text: "@Fredi@nordlicht.social gern!", Recipient: anliegen.Author{Handle: "@fredi@nordlicht.social"}}, "public", "@Fredi@nordlicht.social gern!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := e.conn.Reply(context.Background(), tt.m)
			if err != nil {
				t.Fatal(err)
			}
			st, ok := e.fake.Status(id)
			if !ok || st.Account.ID != e.fake.Town().ID || st.InReplyToID != tt.m.InReplyTo || st.Visibility != tt.vis ||
				!strings.HasPrefix(st.Text, tt.prefix) || st.IdempotencyKey != tt.m.IdempotencyKey() {
				t.Fatalf("posted %+v", st)
			}
			if !strings.Contains(st.Content, "mention") {
				t.Errorf("the reply mentions nobody: %s", st.Content)
			}
		})
	}
}

func TestReplyIdempotent(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	anna := e.fake.AddAccount("anna", "Anna")
	comment, _ := e.fake.Mention(anna, "Frage")
	m := anliegen.OutboundMessage{ID: 42, Kind: anliegen.KindComment, InReplyTo: comment.ID, Text: "Antwort",
		Recipient: anliegen.Author{Handle: "@anna"}, Attempts: 1}
	first, err := e.conn.Reply(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	m.Attempts = 2
	second, err := e.conn.Reply(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if first != second || len(e.fake.StatusesBy(e.fake.Town().ID)) != 1 {
		t.Fatalf("ids %s, %s; town statuses %d, want one", first, second, len(e.fake.StatusesBy(e.fake.Town().ID)))
	}
}

// GoToSocial ignores Idempotency-Key: a retry must find the first reply in
// the thread instead.
func TestReplyReadsBackOnGoToSocial(t *testing.T) {
	e := newEnv(t, mastodontest.Options{GoToSocial: true})
	anna := e.fake.AddAccount("anna@example.org", "Anna")
	comment, _ := e.fake.Mention(anna, "Frage")
	m := anliegen.OutboundMessage{ID: 43, Kind: anliegen.KindComment, InReplyTo: comment.ID,
		Text: "Antwort mit Link https://musterstadt.de/sperrmuell", Recipient: anliegen.Author{Handle: "@anna@example.org"}, Attempts: 1}
	first, err := e.conn.Reply(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	m.Attempts = 2
	second, err := e.conn.Reply(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if first != second || len(e.fake.StatusesBy(e.fake.Town().ID)) != 1 || len(first) != 26 {
		t.Fatalf("ids %s, %s; town statuses %d, want one ULID", first, second, len(e.fake.StatusesBy(e.fake.Town().ID)))
	}
}

func TestReplyErrors(t *testing.T) {
	e := newEnv(t, mastodontest.Options{MaxChars: 100})
	anna := e.fake.AddAccount("anna", "Anna")
	comment, _ := e.fake.Mention(anna, "Frage")
	deleted, _ := e.fake.Mention(anna, "gelöscht")
	_ = e.fake.Delete(deleted.ID)
	rcpt := anliegen.Author{Handle: "@anna"}
	long := strings.Repeat("x", 94) // "@anna " + 94 = 100 characters
	tests := []struct {
		name  string
		m     anliegen.OutboundMessage
		kind  anliegen.PlatformErrorKind
		field string // anliegen.Invalid field, if any
	}{
		{"over the instance limit", anliegen.OutboundMessage{ID: 1, InReplyTo: comment.ID, Text: long + "y", Recipient: rcpt}, anliegen.ErrPermanent, "text"},
		{"URLs count 23", anliegen.OutboundMessage{ID: 2, InReplyTo: comment.ID, Text: strings.Repeat("x", 70) + " https://example.org/" + strings.Repeat("a", 200), Recipient: rcpt}, "", ""},
		{"no handle", anliegen.OutboundMessage{ID: 3, InReplyTo: comment.ID, Text: "hallo"}, anliegen.ErrPermanent, "recipient"},
		{"deleted target", anliegen.OutboundMessage{ID: 4, InReplyTo: deleted.ID, Text: "hallo", Recipient: rcpt}, anliegen.ErrPermanent, ""},
		{"exactly the limit", anliegen.OutboundMessage{ID: 5, InReplyTo: comment.ID, Text: long, Recipient: rcpt}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.fake.StatusesBy(e.fake.Town().ID))
			_, err := e.conn.Reply(context.Background(), tt.m)
			after := len(e.fake.StatusesBy(e.fake.Town().ID))
			if tt.kind == "" {
				if err != nil || after != before+1 {
					t.Fatalf("err = %v, statuses %d → %d", err, before, after)
				}
				return
			}
			if anliegen.PlatformErrorKindOf(err) != tt.kind || after != before {
				t.Fatalf("err = %v (statuses %d → %d), want %s", err, before, after, tt.kind)
			}
			if tt.field != "" && (anliegen.ErrorCode(err) != anliegen.EInvalid || anliegen.ErrorField(err) != tt.field) {
				t.Errorf("err = %v, want invalid %s", err, tt.field)
			}
		})
	}
	if got := e.conn.Capabilities().MaxReplyLength; got != 100 {
		t.Errorf("MaxReplyLength = %d, want the instance's 100", got)
	}
}

func TestReplyRevokedToken(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	conn := e.connector(t, channel(e.fake.URL, "revoked"))
	_, err := conn.Reply(context.Background(), anliegen.OutboundMessage{ID: 1, Text: "x", Recipient: anliegen.Author{Handle: "a"}})
	if anliegen.PlatformErrorKindOf(err) != anliegen.ErrAuth {
		t.Fatalf("err = %v, want auth", err)
	}
}

func TestLength(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"Grüße 👋", 7},
		{"@anna@example.org hallo", len("@anna hallo")},
		{"siehe https://musterstadt.de/a/very/long/path?x=1 bitte", 6 + 23 + 6},
	}
	for _, tt := range tests {
		if got := mastodon.Length(tt.text); got != tt.want {
			t.Errorf("Length(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}

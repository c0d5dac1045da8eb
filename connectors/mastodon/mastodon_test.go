package mastodon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

// clock is a fake clock shared by the fake server and the connector.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	fake  *mastodontest.Server
	clock *clock
	conn  *mastodon.Connector
	ch    anliegen.Channel
}

func newEnv(t testing.TB, opts mastodontest.Options) *env {
	t.Helper()
	c := newClock()
	opts.Now = c.Now
	fake := mastodontest.New(opts)
	t.Cleanup(fake.Close)
	e := &env{fake: fake, clock: c}
	e.ch = channel(fake.URL, fake.Town().Token)
	e.conn = e.connector(t, e.ch)
	return e
}

func channel(url, token string) anliegen.Channel {
	settings, _ := json.Marshal(mastodon.Settings{Instance: url})
	return anliegen.Channel{ID: 1, Platform: anliegen.PlatformMastodon, Settings: settings, Secret: []byte(token)}
}

func (e *env) connector(t testing.TB, ch anliegen.Channel) *mastodon.Connector {
	t.Helper()
	conn, err := mastodon.NewWithOptions(ch, nil, mastodon.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// drain polls until the connector reports no more, returning every item
// and the final cursor.
func drain(t testing.TB, conn anliegen.Connector, cursor string) ([]anliegen.Item, string) {
	t.Helper()
	var items []anliegen.Item
	for range 10_000 {
		res, err := conn.Poll(context.Background(), cursor)
		if err != nil {
			t.Fatalf("poll %q: %v", cursor, err)
		}
		items = append(items, res.Items...)
		cursor = res.Cursor
		if !res.More {
			return items, cursor
		}
	}
	t.Fatal("poll never finished")
	return nil, ""
}

func TestPollBackfillThenLive(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	anna := e.fake.AddAccount("anna", "Anna Beispiel")
	old, _ := e.fake.Mention(anna, "alt, vor dem Zeitraum")
	e.clock.Advance(40 * 24 * time.Hour)
	want := map[string]bool{}
	for i := range 205 { // three pages, the last one short
		st, err := e.fake.Mention(anna, fmt.Sprintf("Anliegen Nr. %d", i))
		if err != nil {
			t.Fatal(err)
		}
		want[st.ID] = true
		e.clock.Advance(time.Second)
	}
	items, cursor := drain(t, e.conn, "")
	assertExactly(t, items, want)
	if strings.HasPrefix(cursor, "backfill") || cursor == "" {
		t.Fatalf("cursor after backfill = %q, want a live cursor", cursor)
	}
	for _, it := range items {
		if it.ExternalID == old.ID {
			t.Fatalf("item %s older than the backfill horizon was fetched", old.ID)
		}
	}

	later := map[string]bool{}
	for i := range 3 {
		st, _ := e.fake.Mention(anna, fmt.Sprintf("später %d", i))
		later[st.ID] = true
	}
	items, cursor2 := drain(t, e.conn, cursor)
	assertExactly(t, items, later)
	items, _ = drain(t, e.conn, cursor2)
	if len(items) != 0 {
		t.Fatalf("a poll at the live edge returned %d items", len(items))
	}
}

func TestPollBackfillOfExactlyFullPages(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	anna := e.fake.AddAccount("anna", "Anna")
	want := map[string]bool{}
	for range 160 {
		st, _ := e.fake.Mention(anna, "hallo")
		want[st.ID] = true
	}
	items, cursor := drain(t, e.conn, "")
	assertExactly(t, items, want)
	st, _ := e.fake.Mention(anna, "neu")
	items, _ = drain(t, e.conn, cursor)
	assertExactly(t, items, map[string]bool{st.ID: true})
}

func assertExactly(t testing.TB, items []anliegen.Item, want map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for _, it := range items {
		seen[it.ExternalID]++
		if !want[it.ExternalID] {
			t.Errorf("unexpected item %s", it.ExternalID)
		}
		if err := it.Validate(); err != nil {
			t.Errorf("item %s: %v", it.ExternalID, err)
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("item %s seen %d times, want once", id, seen[id])
		}
	}
}

func TestPollMapsStatuses(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	town := e.fake.Town()
	fredi := e.fake.AddAccount("fredi@nordlicht.social", "Fredi")
	post, _ := e.fake.Post(town, mastodontest.Post{Text: "Die Sperrmülltermine 2026 sind online."})
	_, cursor := drain(t, e.conn, "")

	comment, _ := e.fake.Reply(fredi, post.ID, "Wann ist\nder Termin in der Südstadt? https://example.org/a?b=1&c=2 <b>fett</b>")
	deeper, _ := e.fake.Reply(fredi, comment.ID, "@stadt und im Norden?")
	dm, _ := e.fake.DirectMessage(fredi, "Meine IBAN ist DE02120300000000202051.\n\nDanke & Gruß")
	media, _ := e.fake.Post(fredi, mastodontest.Post{Text: "@stadt Schlagloch!", Media: []mastodontest.Media{
		{Type: "image", URL: "https://files.example/a/loch.jpg"}, {Type: "video", URL: "https://files.example/v.mp4", Description: "Video vom Loch"}}})
	_ = e.fake.Edit(media.ID, "@stadt Schlagloch in der Hauptstraße!")

	items, _ := drain(t, e.conn, cursor)
	got := map[string]anliegen.Item{}
	for _, it := range items {
		got[it.ExternalID] = it
	}
	tests := []struct {
		name, id, thread, parent string
		kind                     anliegen.Kind
		text                     string
	}{
		{"comment under town post", comment.ID, post.ID, post.ID, anliegen.KindComment,
			"Wann ist\nder Termin in der Südstadt? https://example.org/a?b=1&c=2 < b>fett< /b>"},
		{"reply deeper in the thread", deeper.ID, post.ID, comment.ID, anliegen.KindComment, "und im Norden?"},
		{"direct message", dm.ID, dm.ID, "", anliegen.KindDM, "Meine IBAN ist DE02120300000000202051.\n\nDanke & Gruß"},
		{"edited mention with media", media.ID, media.ID, "", anliegen.KindComment, "Schlagloch in der Hauptstraße!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, ok := got[tt.id]
			if !ok {
				t.Fatalf("status %s not polled", tt.id)
			}
			if it.ThreadID != tt.thread || it.ParentID != tt.parent || it.Kind != tt.kind || it.Text != tt.text {
				t.Errorf("got thread %q parent %q kind %q text %q,\nwant %q %q %q %q",
					it.ThreadID, it.ParentID, it.Kind, it.Text, tt.thread, tt.parent, tt.kind, tt.text)
			}
			if it.Author.ExternalID != fredi.ID || it.Author.Handle != "@fredi@nordlicht.social" || it.Author.Name != "Fredi" {
				t.Errorf("author = %+v", it.Author)
			}
			if !strings.Contains(it.HTML, "<p>") || !strings.Contains(it.HTML, "@<span>stadt</span>") || it.URL == "" || it.CreatedAt.IsZero() {
				t.Errorf("html %q url %q created %v", it.HTML, it.URL, it.CreatedAt)
			}
		})
	}
	m := got[media.ID]
	if m.EditedAt == nil || len(m.Attachments) != 2 || m.Attachments[0].Name != "loch.jpg" ||
		m.Attachments[1].Name != "Video vom Loch" || m.Attachments[1].MIMEType != "video/*" {
		t.Errorf("edited media item: edited %v attachments %+v", m.EditedAt, m.Attachments)
	}
}

func TestPollSkipsMalformedStatus(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	anna := e.fake.AddAccount("anna", "Anna")
	want := map[string]bool{}
	var bad string
	for i := range 10 {
		st, _ := e.fake.Mention(anna, "text")
		if i == 4 {
			bad = st.ID
			e.fake.Corrupt(st.ID)
			continue
		}
		want[st.ID] = true
	}
	res, err := e.conn.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || len(res.Skipped[0].Raw) == 0 || !strings.Contains(string(res.Skipped[0].Raw), bad) {
		t.Fatalf("skipped = %+v, want the corrupt status %s", res.Skipped, bad)
	}
	items, _ := drain(t, e.conn, "")
	assertExactly(t, items, want)
}

func TestPollErrors(t *testing.T) {
	tests := []struct {
		name      string
		gts       bool
		fault     mastodontest.Fault
		token     string
		kind      anliegen.PlatformErrorKind
		retryWant time.Duration // from the fake's now; 0 = none
	}{
		{"server error", false, mastodontest.FaultServerError, "", anliegen.ErrTemporary, 0},
		{"rate limited, reset header", false, mastodontest.FaultRateLimited, "", anliegen.ErrRateLimited, 5 * time.Minute},
		{"gotosocial rate limited", true, mastodontest.FaultRateLimited, "", anliegen.ErrRateLimited, 5 * time.Minute},
		{"gotosocial overloaded", true, mastodontest.FaultUnavailable, "", anliegen.ErrTemporary, 30 * time.Second},
		{"malformed page", false, mastodontest.FaultMalformed, "", anliegen.ErrTemporary, 0},
		{"timeout", false, mastodontest.FaultTimeout, "", anliegen.ErrTemporary, 0},
		{"revoked token", false, 0, "wrong", anliegen.ErrAuth, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, mastodontest.Options{GoToSocial: tt.gts})
			anna := e.fake.AddAccount("anna", "Anna")
			_, _ = e.fake.Mention(anna, "hallo")
			conn := e.conn
			if tt.token != "" {
				conn = e.connector(t, channel(e.fake.URL, tt.token))
			} else {
				_, cursor := drain(t, conn, "") // learn the account first
				_, _ = e.fake.Mention(anna, "noch eins")
				e.fake.Inject(tt.fault, 1)
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				_, err := conn.Poll(ctx, cursor)
				checkKind(t, err, tt.kind, e.clock.Now(), tt.retryWant)
				items, _ := drain(t, conn, cursor)
				if len(items) != 1 {
					t.Fatalf("after the fault: %d items, want 1", len(items))
				}
				return
			}
			_, err := conn.Poll(context.Background(), "")
			checkKind(t, err, tt.kind, e.clock.Now(), tt.retryWant)
		})
	}
}

func checkKind(t *testing.T, err error, kind anliegen.PlatformErrorKind, now time.Time, retry time.Duration) {
	t.Helper()
	var pe *anliegen.PlatformError
	if !errors.As(err, &pe) || pe.Kind != kind {
		t.Fatalf("err = %v, want a %s platform error", err, kind)
	}
	if retry > 0 && !pe.RetryAt.Equal(now.Add(retry)) {
		t.Errorf("RetryAt = %v, want %v", pe.RetryAt, now.Add(retry))
	}
}

func TestPollReportsRateLimit(t *testing.T) {
	e := newEnv(t, mastodontest.Options{RateLimit: 50})
	res, err := e.conn.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	rl := res.RateLimit
	if rl == nil || rl.Limit != 50 || rl.Remaining >= 50 || !rl.Reset.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("rate limit = %+v", rl)
	}
}

// TestPollStripsOwnMentions: only the town's own account is left out of
// the plain text, and only in the run of mentions that opens it; a
// namesake on another instance and mentions later in the text stay.
func TestPollStripsOwnMentions(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	fredi := e.fake.AddAccount("fredi@nordlicht.social", "Fredi")
	e.fake.AddAccount("stadt@anderswo.example", "Namensvetter")
	e.fake.AddAccount("ina", "Ina")
	tests := []struct{ text, want string }{
		{"@stadt Wann kommt die Biotonne?", "Wann kommt die Biotonne?"},
		{"@stadt @stadt doppelt", "doppelt"},
		{"@ina @stadt Wann?", "@ina Wann?"},
		{"@stadt @ina Wann?", "@ina Wann?"},
		{"@stadt@anderswo.example @stadt Welche Stadt?", "@stadt Welche Stadt?"},
		{"Frage an @stadt: Wann?", "Frage an @stadt: Wann?"},
		{"@stadt\n\nZweiter Absatz", "Zweiter Absatz"},
	}
	want := map[string]string{}
	for _, tt := range tests {
		st, err := e.fake.Mention(fredi, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		want[st.ID] = tt.want
	}
	dm, _ := e.fake.DirectMessage(fredi, "Meine Adresse ist privat.")
	want[dm.ID] = "Meine Adresse ist privat."
	items, _ := drain(t, e.conn, "")
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d", len(items), len(want))
	}
	for _, it := range items {
		if it.Text != want[it.ExternalID] {
			t.Errorf("text %q, want %q (html %s)", it.Text, want[it.ExternalID], it.HTML)
		}
		if !strings.Contains(it.HTML, "stadt</span></a>") {
			t.Errorf("html lost the mention: %s", it.HTML)
		}
	}
}

func TestPollSeesEditsAndDeletes(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	anna := e.fake.AddAccount("anna", "Anna")
	a, _ := e.fake.Mention(anna, "Die Ampel ist kaputt")
	b, _ := e.fake.Mention(anna, "Falsch, sorry")
	c, _ := e.fake.Mention(anna, "Bleibt wie es ist")
	_, cursor := drain(t, e.conn, "")

	e.clock.Advance(time.Minute)
	_ = e.fake.Edit(a.ID, "Die Ampel an der Hauptstraße ist kaputt")
	_ = e.fake.Delete(b.ID)
	e.clock.Advance(11 * time.Minute)
	items, _ := drain(t, e.conn, cursor)
	got := map[string]anliegen.Item{}
	for _, it := range items {
		got[it.ExternalID] = it
	}
	if len(got) != 2 {
		t.Fatalf("got %d items, want the edit and the delete: %+v", len(got), items)
	}
	if it := got[a.ID]; it.EditedAt == nil || !strings.Contains(it.Text, "Hauptstraße") || it.ThreadID != a.ID {
		t.Errorf("edit = %+v", it)
	}
	if it := got[b.ID]; !it.Deleted || it.Validate() != nil {
		t.Errorf("delete = %+v", it)
	}
	if _, ok := got[c.ID]; ok {
		t.Errorf("unchanged status %s reported again", c.ID)
	}
	// A deleted status also vanishes from the notifications.
	fresh := e.connector(t, e.ch)
	items, _ = drain(t, fresh, "")
	for _, it := range items {
		if it.ExternalID == b.ID {
			t.Errorf("deleted status %s still in notifications", b.ID)
		}
	}
}

func TestTestConnection(t *testing.T) {
	e := newEnv(t, mastodontest.Options{})
	ctx := context.Background()
	if err := mastodon.Test(ctx, mastodon.Settings{Instance: e.fake.URL}, e.fake.Town().Token); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	err := mastodon.Test(ctx, mastodon.Settings{Instance: e.fake.URL}, "nope")
	if anliegen.PlatformErrorKindOf(err) != anliegen.ErrAuth {
		t.Fatalf("wrong token: %v, want auth error", err)
	}
	err = mastodon.Test(ctx, mastodon.Settings{Instance: "ftp://x"}, "t")
	if anliegen.ErrorCode(err) != anliegen.EInvalid || anliegen.ErrorField(err) != "instance" {
		t.Fatalf("bad instance: %v", err)
	}
}

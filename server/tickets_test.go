package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// counter is a Notifier that counts nudges.
type counter struct{ n atomic.Int64 }

func (c *counter) Notify() { c.n.Add(1) }

func TestTicketListFilters(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	e.department("bauamt")
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	other := e.user("other", anliegen.RoleAgent)
	ch := e.channel(anliegen.PlatformMastodon)
	var ids []int64
	for i := range 7 {
		dept := []string{"abfall", "bauamt", ""}[i%3]
		ids = append(ids, e.ticket(ch, dept, e.item(fmt.Sprintf("Anliegen Nummer %d", i))).ID)
	}
	urgent := anliegen.PriorityUrgent
	tags := []string{"laerm"}
	if _, err := e.db.UpdateTicket(e.ctx, ids[0], 0, anliegen.TicketUpdate{Priority: &urgent, Tags: &tags, AssigneeID: &agent.user.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateTicket(e.ctx, ids[1], 0, anliegen.TicketUpdate{AssigneeID: &other.ID}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		want  int
	}{
		{"", 7},
		{"?department=abfall", 3},
		{"?department=abfall,bauamt", 5},
		{"?priority=urgent", 1},
		{"?tag=laerm", 1},
		{"?mine=1", 1},
		{"?assignee=other", 1},
		{fmt.Sprintf("?assignee=%d", other.ID), 1},
		{"?unassigned=1", 5},
		{"?status=new", 7},
		{"?status=closed", 0},
		{"?platform=mastodon", 7},
		{"?platform=email", 0},
		{fmt.Sprintf("?channel=%d", ch), 7},
		{"?created_from=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339), 0},
		{"?updated_from=2000-01-01&sort=updated_desc", 7},
	}
	for _, tc := range cases {
		var page anliegen.TicketPage
		agent.mustJSON("GET", "/api/v1/tickets"+tc.query, nil, 200, &page)
		if len(page.Items) != tc.want {
			t.Errorf("%s: %d tickets, want %d", tc.query, len(page.Items), tc.want)
		}
	}
	// Paging with the cursor walks every ticket once.
	seen := map[int64]bool{}
	next := ""
	for range 10 {
		var page anliegen.TicketPage
		agent.mustJSON("GET", "/api/v1/tickets?limit=3&cursor="+next, nil, 200, &page)
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("ticket %d twice", it.ID)
			}
			seen[it.ID] = true
			if it.Number == "" || it.Status == "" || it.Platform == "" || it.Kind == "" || it.CreatedAt.IsZero() || it.Preview == "" {
				t.Fatalf("list item lacks fields: %+v", it)
			}
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if len(seen) != 7 {
		t.Fatalf("paged through %d tickets, want 7", len(seen))
	}
}

func TestTicketDetailUpdateNoteRead(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	ch := e.channel(anliegen.PlatformMastodon)
	tk := e.ticket(ch, "", e.item("Die Mülltonne wurde nicht geleert"))

	var d anliegen.TicketDetail
	agent.mustJSON("GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), nil, 200, &d)
	if len(d.Messages) != 1 || d.Messages[0].Text != "Die Mülltonne wurde nicht geleert" || d.Contact == nil || len(d.Events) == 0 {
		t.Fatalf("detail: %+v", d)
	}

	var page anliegen.TicketPage
	agent.mustJSON("GET", "/api/v1/tickets", nil, 200, &page)
	if !page.Items[0].Unread {
		t.Fatal("new ticket not unread")
	}
	agent.mustJSON("POST", fmt.Sprintf("/api/v1/tickets/%d/read", tk.ID), nil, 204, nil)
	var after anliegen.TicketPage // fresh: unread is omitted when false
	agent.mustJSON("GET", "/api/v1/tickets", nil, 200, &after)
	if after.Items[0].Unread {
		t.Fatal("ticket still unread after POST read")
	}

	var up anliegen.Ticket
	agent.mustJSON("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID),
		map[string]any{"status": "open", "department": "abfall", "assignee": "agent", "tags": []string{"tonne"}, "version": tk.Version}, 200, &up)
	if up.Status != anliegen.StatusOpen || up.Department != "abfall" || up.AssigneeID != agent.user.ID || len(up.Tags) != 1 {
		t.Fatalf("after PATCH: %+v", up)
	}
	// The same version again is stale.
	resp, raw := agent.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), map[string]any{"status": "waiting", "version": tk.Version})
	wantError(t, resp, raw, 409, anliegen.EConflict, "")
	for _, bad := range []struct{ body, field string }{
		{`{"status":"lost"}`, "status"},
		{`{"priority":"whenever"}`, "priority"},
		{`{"assignee":"ghost"}`, "assignee"},
		{`{"assignee_id":9999}`, "assignee_id"},
		{`{"tags":[""]}`, "tags"},
		{`{"status":5}`, "status"},
	} {
		resp, raw := agent.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), bad.body)
		wantError(t, resp, raw, 422, anliegen.EInvalid, bad.field)
	}

	var note anliegen.Message
	agent.mustJSON("POST", fmt.Sprintf("/api/v1/tickets/%d/notes", tk.ID), map[string]string{"text": "Bitte Bauhof fragen"}, 201, &note)
	if note.Direction != anliegen.DirectionNote {
		t.Fatalf("note: %+v", note)
	}
	resp, raw = agent.do("POST", fmt.Sprintf("/api/v1/tickets/%d/notes", tk.ID), map[string]string{"text": "  "})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "text")
	resp, raw = agent.do("GET", "/api/v1/tickets/999999", nil)
	wantError(t, resp, raw, 404, anliegen.ENotFound, "")
}

func TestReplies(t *testing.T) {
	sender := &counter{}
	caps := map[anliegen.Platform]anliegen.Capabilities{
		anliegen.PlatformMastodon: {MaxReplyLength: 60, PublicReplies: true, DirectMessages: true, URLLength: 23},
		anliegen.PlatformYouTube:  {MaxReplyLength: 1000, PublicReplies: true},
	}
	e := newEnv(t, func(_ *Config, d *Deps) {
		d.Sender = sender
		d.Capabilities = CapabilitiesFunc(func(_ context.Context, ch anliegen.Channel) (anliegen.Capabilities, error) {
			return caps[ch.Platform], nil
		})
	})
	anna := e.session(e.user("anna", anliegen.RoleAgent))
	ben := e.session(e.user("ben", anliegen.RoleAgent))
	masto := e.channel(anliegen.PlatformMastodon)
	yt := e.channel(anliegen.PlatformYouTube)
	tk := e.ticket(masto, "", e.item("Wann ist der Wertstoffhof offen?"))
	path := fmt.Sprintf("/api/v1/tickets/%d/replies", tk.ID)

	var m anliegen.Message
	anna.mustJSON("POST", path, map[string]any{"text": "Mo-Fr 8-16 Uhr, siehe https://example.org/ein/sehr/langer/link/zum/wertstoffhof"}, 201, &m)
	if m.Direction != anliegen.DirectionOut || m.DeliveryState != anliegen.DeliveryPending {
		t.Fatalf("reply: %+v", m)
	}
	if sender.n.Load() != 1 {
		t.Fatalf("sender nudged %d times, want 1", sender.n.Load())
	}
	// Ben answers within the minute: asked to confirm, then allowed.
	resp, raw := ben.do("POST", path, map[string]any{"text": "Auch samstags."})
	wantError(t, resp, raw, 409, anliegen.EConflict, "")
	if !strings.Contains(string(raw), "replied") {
		t.Fatalf("conflict message does not say who replied: %s", raw)
	}
	ben.mustJSON("POST", path, map[string]any{"text": "Auch samstags.", "confirm": true}, 201, nil)
	// Anna's own second reply needs no confirmation... but Ben's is recent.
	e.advance(2 * time.Minute)
	anna.mustJSON("POST", path, map[string]any{"text": "Nachtrag."}, 201, nil)

	resp, raw = anna.do("POST", path, map[string]any{"text": strings.Repeat("x", 61), "confirm": true})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "text")
	resp, raw = anna.do("POST", path, map[string]any{"text": "", "confirm": true})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "text")

	dm := e.ticket(yt, "", e.item("Privat"))
	resp, raw = anna.do("POST", fmt.Sprintf("/api/v1/tickets/%d/replies", dm.ID), map[string]any{"text": "Hallo"})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "text")

	// A failed reply can be retried.
	claimed, err := e.db.ClaimOutbound(e.ctx, time.Now(), time.Minute, 10)
	if err != nil || len(claimed) == 0 {
		t.Fatalf("claim: %v %d", err, len(claimed))
	}
	if err := e.db.MarkFailed(e.ctx, claimed[0].ID, "platform says no", nil); err != nil {
		t.Fatal(err)
	}
	var retried anliegen.Message
	anna.mustJSON("POST", fmt.Sprintf("%s/%d/retry", path, claimed[0].ID), nil, 200, &retried)
	if retried.DeliveryState != anliegen.DeliveryPending {
		t.Fatalf("retried reply: %+v", retried)
	}
	resp, raw = anna.do("POST", fmt.Sprintf("%s/%d/retry", path, 999999), nil)
	wantError(t, resp, raw, 404, anliegen.ENotFound, "")
}

func TestReplyLength(t *testing.T) {
	masto := anliegen.Capabilities{URLLength: 23}
	cases := []struct {
		text string
		caps anliegen.Capabilities
		want int
	}{
		{"hallo", anliegen.Capabilities{}, 5},
		{"Grüße", anliegen.Capabilities{}, 5},
		{"siehe https://example.org/" + strings.Repeat("a", 100), masto, 6 + 23},
		{"http://a.de und http://b.de", masto, 23 + 5 + 23},
		{"https://x.de", anliegen.Capabilities{}, 12},
	}
	for _, tc := range cases {
		if got := replyLength(tc.text, tc.caps); got != tc.want {
			t.Errorf("replyLength(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestMerge(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	dept := e.session(e.user("dep", anliegen.RoleDepartment, "abfall"))
	ch := e.channel(anliegen.PlatformMastodon)
	a := e.ticket(ch, "abfall", e.item("Erste Nachricht"))
	b := e.ticket(ch, "abfall", e.item("Zweite Nachricht"))
	resp, raw := dept.do("POST", fmt.Sprintf("/api/v1/tickets/%d/merge", a.ID), map[string]int64{"into": b.ID})
	wantError(t, resp, raw, 403, anliegen.EForbidden, "")
	resp, raw = agent.do("POST", fmt.Sprintf("/api/v1/tickets/%d/merge", a.ID), map[string]int64{"into": a.ID})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "into")
	resp, raw = agent.do("POST", fmt.Sprintf("/api/v1/tickets/%d/merge", a.ID), map[string]int64{"into": 99999})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "into")
	agent.mustJSON("POST", fmt.Sprintf("/api/v1/tickets/%d/merge", a.ID), map[string]int64{"into": b.ID}, http.StatusOK, nil)
	var d anliegen.TicketDetail
	agent.mustJSON("GET", fmt.Sprintf("/api/v1/tickets/%d", b.ID), nil, 200, &d)
	if len(d.Messages) != 2 {
		t.Fatalf("merged ticket has %d messages, want 2", len(d.Messages))
	}
}
